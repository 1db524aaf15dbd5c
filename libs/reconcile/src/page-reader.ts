import type { JsonObject } from '@hub/scim';
import type { ListPageAnswer, PageStart } from '@hub/scim-client';

export interface PageReaderOptions<P> {
  readonly pagination: 'index' | 'cursor';
  /** Objects asked for per page (the server may serve fewer). */
  readonly count: number;
  /** Requests in flight at once. Index paging only: a cursor is known once the page before is in. */
  readonly parallel: number;
  /** Pages asked for ahead of the one handed out. */
  readonly ahead: number;
  /** One request (the caller takes the target's slot and rate token around it). */
  fetch(start: PageStart, count: number): Promise<ListPageAnswer>;
  /** Started on each page as soon as it is complete, in any order; handed out with the page. */
  prepare(resources: JsonObject[]): Promise<P>;
  /** A loop guard against servers that never end a listing. */
  readonly maxRequests?: number;
}

interface Slot<P> {
  readonly resources: Promise<JsonObject[]>;
  readonly prepared: Promise<P | undefined>;
}

/**
 * Reads a SCIM listing in order, page by page, with pages requested ahead of the one handed out
 * (ADR 0702). Index paging asks for up to `parallel` pages at once once the first answer shows
 * the server's page size (the next start indexes are known then); a page the server cuts short
 * before the end is completed by asking for the rest of its range, so no object is skipped or read
 * twice. Cursor paging is one request at a time (each needs the cursor of the one before).
 */
export class PageReader<P> {
  private readonly slots: Slot<P>[] = [];
  private step: number | undefined;
  private total: number | undefined;
  private nextStart = 1;
  private cursorChain: Promise<string | null> = Promise.resolve('');
  private ended = false;
  private cursorEnded = false;
  private requests = 0;
  private inFlight = 0;
  private readonly queued: Array<() => void> = [];

  constructor(private readonly options: PageReaderOptions<P>) {}

  /** The next page in order, with what `prepare` made of it; null after the last. */
  async next(): Promise<{ resources: JsonObject[]; prepared: P } | null> {
    this.schedule();
    const slot = this.slots.shift();
    if (!slot) return null;
    const resources = await slot.resources;
    if (!resources.length) {
      this.end();
      return null;
    }
    this.schedule();
    return { resources, prepared: (await slot.prepared)! };
  }

  /** No page is left to ask for: the pages asked for are the last ones (the end is in sight). */
  get lastAsked(): boolean {
    if (this.options.pagination === 'cursor') return this.cursorEnded;
    return this.step !== undefined && this.total !== undefined && this.nextStart > this.total;
  }

  /** Stops asking; pages already asked for are dropped (their failures with them). */
  end(): void {
    this.ended = true;
    this.slots.length = 0;
  }

  private schedule(): void {
    while (!this.ended && this.slots.length < this.options.ahead) {
      const resources = this.options.pagination === 'cursor' ? this.nextByCursor() : this.nextByIndex();
      if (!resources) return;
      const prepared = resources.then((r) => (r.length ? this.options.prepare(r) : undefined));
      // Surfaced when handed out; never unhandled when the reader ends first.
      resources.catch(() => undefined);
      prepared.catch(() => undefined);
      this.slots.push({ resources, prepared });
    }
  }

  private nextByIndex(): Promise<JsonObject[]> | null {
    const first = this.nextStart === 1;
    // Beyond the first page only once its answer gave the page size, and never past the end.
    if (!first && (this.step === undefined || (this.total !== undefined && this.nextStart > this.total)))
      return null;
    const start = this.nextStart;
    if (!first) this.nextStart += this.step!;
    else this.nextStart = 0; // the first page is asked for; the next start waits for its size
    return this.limited(() => this.options.fetch({ startIndex: start }, this.options.count)).then(
      async (answer) => {
        this.learnTotal(answer);
        const resources = answer.resources;
        if (first) {
          this.step = Math.max(1, resources.length);
          this.nextStart = 1 + this.step;
          if (resources.length) this.schedule();
          return resources;
        }
        // More than the page size: the rest belongs to the next page, which is asked for already.
        if (resources.length > this.step!) resources.length = this.step!;
        // Cut short before the end: ask for the rest of this page's range.
        let got = resources.length;
        while (got > 0 && got < this.step! && (this.total === undefined || start + got <= this.total)) {
          const rest = await this.limited(() =>
            this.options.fetch({ startIndex: start + got }, this.step! - got),
          );
          this.learnTotal(rest);
          if (!rest.resources.length) break;
          resources.push(...rest.resources.slice(0, this.step! - got));
          got = resources.length;
        }
        return resources;
      },
    );
  }

  private nextByCursor(): Promise<JsonObject[]> | null {
    const previous = this.cursorChain;
    const answer = previous.then((cursor) =>
      cursor === null ? null : this.limited(() => this.options.fetch({ cursor }, this.options.count)),
    );
    const chain = Promise.all([previous, answer]).then(([cursor, a]) => {
      if (!a?.nextCursor) {
        this.cursorEnded = true;
        return null;
      }
      if (a.nextCursor === cursor) throw new Error('the server’s nextCursor does not advance');
      return a.nextCursor;
    });
    chain.catch(() => undefined);
    this.cursorChain = chain;
    return answer.then(async (a) => {
      if (!a) return [];
      // A cursor that does not advance fails the page that gave it.
      await chain;
      return a.resources;
    });
  }

  private learnTotal(answer: ListPageAnswer): void {
    if (answer.totalResults !== undefined) this.total = answer.totalResults;
  }

  /** At most `parallel` requests at once (one for cursor paging), and `maxRequests` in all. */
  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    const parallel = this.options.pagination === 'cursor' ? 1 : Math.max(1, this.options.parallel);
    if (this.inFlight >= parallel) await new Promise<void>((resolve) => this.queued.push(resolve));
    else this.inFlight++;
    if (++this.requests > (this.options.maxRequests ?? 100_000)) {
      this.handOn();
      throw new Error(`more than ${this.options.maxRequests ?? 100_000} page requests`);
    }
    try {
      return await fn();
    } finally {
      this.handOn();
    }
  }

  private handOn(): void {
    const next = this.queued.shift();
    if (next) next();
    else this.inFlight--;
  }
}
