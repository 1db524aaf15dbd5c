import { FEED_BEGINNING, isSnapshotText } from '@hub/persistence';
import { InvalidValueError } from '@hub/scim';

/** Where a delta query resumes (ADR 0701). Opaque to clients. */
export interface DeltaPosition {
  /** The snapshot the window starts after (changes visible in it were delivered before). */
  from: string;
  /** The snapshot the window ends at, fixed while a window is paged; absent at a window's start. */
  to?: string;
  /** Paging inside the window: the last change sequence already returned. */
  after?: string;
}

const VERSION = 1;
const DECIMAL = /^[0-9]{1,20}$/;

/** base64url JSON, bound to the query (endpoint and filter) it was issued for. */
export function encodeDeltaToken(fingerprint: string, position: DeltaPosition): string {
  return Buffer.from(
    JSON.stringify({
      v: VERSION,
      f: fingerprint,
      x: position.from,
      ...(position.to !== undefined ? { u: position.to } : {}),
      ...(position.after !== undefined ? { a: position.after } : {}),
    }),
  ).toString('base64url');
}

/** '' is the beginning of the feed: every resource that exists, then every change. */
export function decodeDeltaToken(text: string, fingerprint: string): DeltaPosition {
  if (text === '') return { from: FEED_BEGINNING };
  const refuse = () => new InvalidValueError('The deltaToken is not one this server issued');
  if (text.length > 8192 || !/^[A-Za-z0-9_-]+$/.test(text)) throw refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  const t = parsed as { v?: unknown; f?: unknown; x?: unknown; u?: unknown; a?: unknown };
  const decimal = (v: unknown) => typeof v === 'string' && DECIMAL.test(v);
  const snapshot = (v: unknown) => typeof v === 'string' && isSnapshotText(v);
  if (
    t === null ||
    typeof t !== 'object' ||
    t.v !== VERSION ||
    typeof t.f !== 'string' ||
    !snapshot(t.x) ||
    (t.u !== undefined && !snapshot(t.u)) ||
    (t.a !== undefined && !decimal(t.a)) ||
    (t.a !== undefined) !== (t.u !== undefined)
  )
    throw refuse();
  if (t.f !== fingerprint)
    throw new InvalidValueError(
      'The deltaToken belongs to a different query (endpoint or filter changed); start again with an empty deltaToken',
    );
  return {
    from: t.x as string,
    ...(t.u !== undefined ? { to: t.u as string, after: t.a as string } : {}),
  };
}
