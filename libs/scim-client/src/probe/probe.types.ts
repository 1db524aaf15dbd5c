/**
 * What a dialect probe found out about a target: per check an outcome and the evidence (each
 * request's method, path, status and a short detail), so an admin sees *why*, not only a verdict.
 */
export type ProbeOutcome = 'supported' | 'unsupported' | 'error' | 'skipped';

export type ProbeCheckId =
  | 'create'
  | 'getById'
  | 'filter.eq'
  | 'filter.co'
  | 'filter.sw'
  | 'filter.pr'
  | 'filter.gt.lastModified'
  | 'filter.and'
  | 'paging.index'
  | 'paging.cursor'
  | 'patch.replace.path'
  | 'patch.add.path'
  | 'patch.remove.path'
  | 'patch.noPath'
  | 'patch.valuePath'
  | 'patch.deactivate'
  | 'put.replaces'
  | 'etag.ifMatch'
  | 'uniqueness.409'
  | 'delete';

export interface ProbeEvidence {
  readonly method: string;
  /** Path below the base URL, with the query (the probe's own throwaway values only). */
  readonly path: string;
  readonly status?: number;
  /** Short: a SCIM `detail`/`scimType`, or what the probe saw. Never a header or credential. */
  readonly detail?: string;
}

export interface ProbeCheck {
  readonly id: ProbeCheckId;
  readonly title: string;
  readonly outcome: ProbeOutcome;
  /** One line an admin can act on. */
  readonly detail: string;
  /** What the target advertises for this feature, when its discovery says anything. */
  readonly advertised?: boolean;
  readonly evidence: readonly ProbeEvidence[];
}

/** The findings in the shape the push pipeline can use (derived from the checks). */
export interface ProbeDialect {
  readonly filterOperators: readonly string[];
  readonly patch: {
    readonly supported: boolean;
    readonly withoutPath: boolean;
    readonly valuePathFilters: boolean;
    readonly deactivate: boolean;
  };
  /** `replace`: PUT drops omitted attributes (RFC 7644 §3.5.1); `merge`: it keeps them. */
  readonly put: 'replace' | 'merge' | 'unknown';
  readonly etagIfMatch: boolean;
  readonly paging: { readonly index: boolean; readonly cursor: boolean };
  readonly uniquenessConflict: boolean;
}

export interface ProbeReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly endpoint: string;
  /** The throwaway user's name (`scimhub-probe-<random>`). */
  readonly userName: string;
  readonly checks: readonly ProbeCheck[];
  readonly summary: Readonly<Record<ProbeOutcome, number>>;
  readonly dialect: ProbeDialect;
  /** Throwaway resources removed at the end, and any the target would not let go of. */
  readonly cleanup: {
    readonly deleted: readonly string[];
    readonly leftBehind: ReadonlyArray<{ readonly id: string; readonly reason: string }>;
  };
}
