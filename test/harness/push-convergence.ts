import type { Loose } from './push-fixture';

/**
 * What a downstream target should hold, and what it does hold, in one comparable shape: users by
 * userName (the attributes a test cares about), groups by displayName with their members as
 * userNames. `differences` lists every mismatch in words, so a timed-out wait says what is wrong.
 */
export interface TargetView {
  users: Map<string, Record<string, unknown>[]>;
  groups: Map<string, { members: string[] }[]>;
}

export interface ExpectedUser {
  userName: string;
  /** Attributes to find at the target, compared as JSON (absent: must be absent there). */
  attributes: Record<string, unknown>;
}

export interface ExpectedView {
  users: ExpectedUser[];
  /** userNames that may be present only with active=false (disable policy) or not at all. */
  disabledOrAbsent?: string[];
  groups: { displayName: string; members: string[] }[];
}

/** Builds a view from raw SCIM resources as a server stores them. */
export function viewOf(users: Loose[], groups: Loose[]): TargetView {
  const byId = new Map<string, string>(users.map((u) => [String(u.id), String(u.userName)]));
  const view: TargetView = { users: new Map(), groups: new Map() };
  for (const u of users) {
    const key = String(u.userName).toLowerCase();
    view.users.set(key, [...(view.users.get(key) ?? []), u]);
  }
  for (const g of groups) {
    const members = ((g.members ?? []) as { value: string }[])
      .map((m) => byId.get(String(m.value)) ?? `?${m.value}`)
      .map((n) => n.toLowerCase())
      .sort();
    view.groups.set(String(g.displayName), [...(view.groups.get(String(g.displayName)) ?? []), { members }]);
  }
  return view;
}

export function differences(expected: ExpectedView, actual: TargetView): string[] {
  const out: string[] = [];
  const wanted = new Set(expected.users.map((u) => u.userName.toLowerCase()));
  const tolerated = new Set((expected.disabledOrAbsent ?? []).map((n) => n.toLowerCase()));
  for (const u of expected.users) {
    const found = actual.users.get(u.userName.toLowerCase()) ?? [];
    if (found.length !== 1) {
      out.push(`${u.userName}: ${found.length} accounts`);
      continue;
    }
    for (const [path, value] of Object.entries(u.attributes)) {
      const got = readPath(found[0]!, path);
      if (JSON.stringify(normalise(got)) !== JSON.stringify(normalise(value)))
        out.push(`${u.userName}.${path}: ${JSON.stringify(got)} (expected ${JSON.stringify(value)})`);
    }
  }
  for (const [name, accounts] of actual.users) {
    if (wanted.has(name)) continue;
    if (tolerated.has(name) && accounts.length === 1 && accounts[0]!.active === false) continue;
    out.push(
      `${name}: ${accounts.length} account(s) that should not be there (active=${String(accounts[0]?.active)})`,
    );
  }
  const groupNames = new Set(expected.groups.map((g) => g.displayName));
  for (const g of expected.groups) {
    const found = actual.groups.get(g.displayName) ?? [];
    if (found.length !== 1) {
      out.push(`group ${g.displayName}: ${found.length} copies`);
      continue;
    }
    const want = g.members.map((m) => m.toLowerCase()).sort();
    if (JSON.stringify(found[0]!.members) !== JSON.stringify(want))
      out.push(`group ${g.displayName}: members ${found[0]!.members.join(',')} (expected ${want.join(',')})`);
  }
  for (const name of actual.groups.keys())
    if (!groupNames.has(name)) out.push(`group ${name}: should not be there`);
  return out;
}

function readPath(resource: Record<string, unknown>, path: string): unknown {
  // `urn:…:User:department` → the extension object's attribute; `name.givenName` → nested.
  const urn = /^(urn:.+):([^:]+)$/.exec(path);
  if (urn) return (resource[urn[1]!] as Record<string, unknown> | undefined)?.[urn[2]!];
  let value: unknown = resource;
  for (const part of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}

/** Arrays of objects compare without order; undefined and null are the same absence. */
function normalise(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value))
    return value.map(normalise).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined && v !== null)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, normalise(v)]),
    );
  return value;
}

/** Polls until `check` returns no differences; on timeout throws with the last ones. */
export async function converge(
  check: () => Promise<string[]>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] = [];
  for (;;) {
    last = await check().catch((e: Error) => [`check failed: ${e.message}`]);
    if (last.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`${what} did not converge in ${timeoutMs} ms:\n${last.slice(0, 40).join('\n')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
