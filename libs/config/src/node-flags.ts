/**
 * V8 flags every hub process runs with (ADR 0007): a 64 MB young generation. Pulls, pushes and
 * reconciliations work page by page, and a page's objects live for tens of milliseconds — longer
 * than the default young generation lasts at their allocation rate, so nearly all of them were
 * promoted and collected again by full collections (42 % of an LDAP pull was GC; 5.2 s → 3.6 s for
 * 100,000 entries with this flag). Costs up to ~190 MB of address space per process.
 * The npm scripts, the quick start and the Docker image (NODE_OPTIONS) pass the same flag.
 */
export const HUB_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
