import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import {
  Client,
  ConfidentialityRequiredError,
  EqualityFilter,
  OrFilter,
  InappropriateAuthError,
  InappropriateMatchingError,
  InsufficientAccessError,
  InvalidCredentialsError,
  InvalidDNSyntaxError,
  NoSuchObjectError,
  ProtocolError,
  ResultCodeError,
  StrongAuthRequiredError,
  UndefinedTypeError,
  type Entry,
  type Filter,
} from 'ldapts';
import { classifyNetworkError } from '@hub/scim-client';
import type {
  ConnectionCheck,
  ResourceTypeName,
  SourceBatch,
  SourceConnector,
  SourceCursor,
  SourceRecord,
} from '../connector';
import { ConnectorError } from '../connector.error';
import { AttributeMapper } from '../mapping/attribute-mapper';
import type { SourceView } from '../mapping/mapping.types';
import type {
  LdapBinaryEncoding,
  LdapConnectorConfig,
  LdapConnectorDeps,
  LdapObjectConfig,
} from './ldap-connector.config';
import {
  andFilter,
  checkAdminFilter,
  checkAttributeName,
  equalityFilter,
  greaterOrEqualFilter,
  toGeneralizedTime,
} from './ldap-filter';
import { DnKeyCache } from './dn-key-cache';
import { formatGuid, normaliseDn } from './ldap-values';

const CURSOR_KIND = 'ldap';
/** DN → key entries kept for member resolution (about 200 bytes each): memory flat in the directory. */
export const DEFAULT_MEMBER_CACHE_SIZE = 20_000;
/** Member lookups in flight at once on the pull's connection (LDAP multiplexes by message id). */
const LOOKUP_CONCURRENCY = 32;
/** DNs per batched member lookup (one OR filter). */
const DN_BATCH = 100;
/** Batched DN searches in flight at once. */
const DN_BATCH_CONCURRENCY = 4;
const DEFAULT_BINARY: Readonly<Record<string, LdapBinaryEncoding>> = {
  objectGUID: 'guid',
  objectSid: 'hex',
  jpegPhoto: 'base64',
  thumbnailPhoto: 'base64',
};

interface ObjectPlan {
  readonly resourceType: ResourceTypeName;
  readonly config: LdapObjectConfig;
  readonly filter: string;
  readonly mapper: AttributeMapper;
  readonly attributes: string[];
  readonly binary: string[];
}

interface PullState {
  readonly client: Client;
  mode: 'full' | 'delta';
  /** DN as the server wrote it (or as a group spelled it) → source key, for members without a lookup (bounded). */
  readonly keys: DnKeyCache;
  /** The server refused the DN attribute in a filter: members are looked up one at a time. */
  dnAttributeRefused?: boolean;
}

/**
 * LDAP source on ldapts: simple bind over LDAP, LDAPS or StartTLS; RFC 2696 paged search over
 * each base DN, yielding one batch per page, so memory holds one page plus a bounded DN → key cache.
 *
 * Deltas: OpenLDAP by `modifyTimestamp>=`, Active Directory by `uSNChanged>=`. Plain LDAP keeps
 * no tombstones, so deltas never report deletions; deletions come from full pulls
 * (`FullPullTracker`). See docs/decisions/0501-ldap-connector.md.
 */
export class LdapConnector implements SourceConnector {
  private readonly users?: ObjectPlan;
  private readonly groups?: ObjectPlan;
  private readonly keyAttribute: string;
  private readonly flavour: 'openldap' | 'activeDirectory';
  private readonly binary: Map<string, LdapBinaryEncoding>;
  private readonly attributeKeys = new Map<string, string>();
  private readonly pageSize: number;
  private readonly now: () => Date;
  private readonly tlsOptions: ConnectionOptions;
  private readonly configId: string;
  /** Member DNs are turned into keys through a DN → key cache (only then is it filled). */
  private readonly resolvesMemberDns: boolean;

  constructor(
    private readonly config: LdapConnectorConfig,
    deps: LdapConnectorDeps = {},
  ) {
    let url: URL;
    try {
      url = new URL(config.url);
    } catch {
      throw new ConnectorError(
        'config',
        `${JSON.stringify(String(config.url).slice(0, 200))} is not an LDAP URL`,
      );
    }
    if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:')
      throw new ConnectorError('config', 'The URL must start with ldap:// or ldaps://');
    if (config.startTls && url.protocol === 'ldaps:')
      throw new ConnectorError('config', 'StartTLS applies to ldap:// URLs; ldaps:// is already encrypted');
    if (!config.users && !config.groups)
      throw new ConnectorError('config', 'Configure users, groups or both');
    this.flavour = config.flavour ?? 'openldap';
    this.keyAttribute =
      config.keyAttribute ?? (this.flavour === 'activeDirectory' ? 'objectGUID' : 'entryUUID');
    if (this.keyAttribute.toLowerCase() !== 'dn') checkAttributeName(this.keyAttribute);
    this.binary = new Map(
      Object.entries({ ...DEFAULT_BINARY, ...config.binaryAttributes }).map(([k, v]) => [k.toLowerCase(), v]),
    );
    this.pageSize = Math.max(1, Math.min(config.pageSize ?? 500, 10_000));
    this.now = deps.now ?? (() => new Date());
    this.tlsOptions = {
      ...(config.tls?.caPem ? { ca: config.tls.caPem } : {}),
      // StartTLS hands tls.connect a socket, not a host: name the host for the certificate check.
      host: url.hostname,
      // SNI takes host names only (RFC 6066); the certificate check still uses the URL's host.
      ...(config.tls?.serverName || !isIP(url.hostname)
        ? { servername: config.tls?.serverName ?? url.hostname }
        : {}),
      rejectUnauthorized: true,
    };
    if (config.users) this.users = this.plan('User', config.users, deps, undefined);
    if (config.groups) {
      const membership = config.groups.membership ?? 'member';
      if (membership === 'memberOf' && !this.users)
        throw new ConnectorError(
          'config',
          'memberOf membership needs the users section (members are searched there)',
        );
      this.groups = this.plan(
        'Group',
        config.groups,
        deps,
        membership === 'memberOf' ? undefined : membership,
      );
    }
    this.resolvesMemberDns =
      !!this.groups &&
      (config.groups?.membership ?? 'member') !== 'memberOf' &&
      this.keyAttribute.toLowerCase() !== 'dn';
    // A cursor only applies to the configuration that wrote it.
    this.configId = [this.flavour, this.keyAttribute, this.users?.filter, this.groups?.filter]
      .concat(this.users?.config.baseDns ?? [], this.groups?.config.baseDns ?? [])
      .join('|');
  }

  async testConnection(): Promise<ConnectionCheck> {
    const client = await this.connect();
    try {
      const bases = [...(this.users?.config.baseDns ?? []), ...(this.groups?.config.baseDns ?? [])];
      for (const base of new Set(bases)) {
        await this.guard(() => client.search(base, { scope: 'base', attributes: ['1.1'] }), base);
      }
      return {
        detail: `Bound as ${this.config.bindDn} to ${this.config.url}; ${new Set(bases).size} base DN(s) readable`,
      };
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  fullPull(): AsyncIterable<SourceBatch> {
    return this.pull(undefined);
  }

  deltaPull(cursor: SourceCursor): AsyncIterable<SourceBatch> {
    const usable =
      cursor?.kind === CURSOR_KIND &&
      cursor.flavour === this.flavour &&
      cursor.config === this.configId &&
      typeof cursor.watermark === 'string';
    return this.pull(usable ? cursor : undefined);
  }

  async close(): Promise<void> {
    // Each pull opens and closes its own connection; nothing pooled.
  }

  private async *pull(cursor: SourceCursor | undefined): AsyncGenerator<SourceBatch> {
    const startedAt = this.now();
    const client = await this.connect();
    const state: PullState = {
      client,
      mode: cursor ? 'delta' : 'full',
      keys: new DnKeyCache(Math.max(0, this.config.memberCacheSize ?? DEFAULT_MEMBER_CACHE_SIZE)),
    };
    try {
      let next: SourceCursor;
      let since: string | undefined;
      if (this.flavour === 'activeDirectory') {
        // Microsoft's documented pattern: remember the DC's highest USN *before* reading, and
        // only trust it on the same DC (USNs are per domain controller).
        const root = await this.rootDse(client, ['highestCommittedUSN', 'dsServiceName']);
        const dc = root.dsServiceName ?? '';
        const usable = cursor && cursor.dc === dc;
        since = usable ? String(cursor.watermark) : undefined;
        next = this.cursor(String(BigInt(root.highestCommittedUSN ?? '0') + 1n), { dc });
        if (!usable) state.mode = 'full';
      } else {
        since = cursor ? String(cursor.watermark) : undefined;
        // Start of this pull minus the overlap; never move backwards.
        const overlap = this.config.deltaOverlapMs ?? 5 * 60_000;
        let mark = toGeneralizedTime(new Date(startedAt.getTime() - overlap));
        if (since && since > mark) mark = since;
        next = this.cursor(mark, {});
      }
      const deltaAttribute = this.flavour === 'activeDirectory' ? 'uSNChanged' : 'modifyTimestamp';
      const deltaFilter = since ? greaterOrEqualFilter(deltaAttribute, since) : undefined;
      for (const plan of [this.users, this.groups]) {
        if (!plan) continue;
        yield* this.searchPlan(state, plan, andFilter(plan.filter, deltaFilter));
      }
      yield { mode: state.mode, records: [], cursor: next };
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  private async *searchPlan(state: PullState, plan: ObjectPlan, filter: string): AsyncGenerator<SourceBatch> {
    const scope = plan.config.scope ?? 'sub';
    for (const base of plan.config.baseDns) {
      const pages = state.client.searchPaginated(base, {
        scope,
        filter,
        attributes: plan.attributes,
        explicitBufferAttributes: plan.binary,
        paged: { pageSize: this.pageSize },
      });
      const iterator = pages[Symbol.asyncIterator]();
      // The next page is asked for before this one is mapped, so the server works while we do.
      let next = this.guard(() => iterator.next(), base);
      for (;;) {
        const page = await next;
        if (page.done) break;
        next = this.guard(() => iterator.next(), base);
        next.catch(() => undefined); // awaited on the next turn; a pull stopped early drops it
        const records: SourceRecord[] = [];
        for (const entry of page.value.searchEntries) {
          const record = await this.toRecord(state, plan, entry);
          if (record) records.push(record);
        }
        if (records.length) yield { mode: state.mode, records };
      }
    }
  }

  private async toRecord(
    state: PullState,
    plan: ObjectPlan,
    entry: Entry,
  ): Promise<SourceRecord | undefined> {
    const values = this.readEntry(entry);
    const key = this.keyOf(entry.dn, values);
    // Keyed by the DN as the server wrote it (no normalising per entry): member values are almost
    // always that same string; other spellings are normalised on a miss (membersOf).
    if (this.resolvesMemberDns) state.keys.set(entry.dn, key);
    const view: SourceView = {
      field: (name) => (name.toLowerCase() === 'dn' ? entry.dn : values.get(name.toLowerCase())),
    };
    let attributes = plan.mapper.map(view);
    let externalId: string | undefined;
    const exAttr = plan.config.externalIdAttribute;
    if (exAttr) externalId = firstString(values.get(exAttr.toLowerCase()));
    else if (typeof attributes.externalId === 'string') externalId = attributes.externalId;
    if ('externalId' in attributes) {
      const { externalId: _drop, ...rest } = attributes;
      attributes = rest;
    }
    let members: string[] | undefined;
    if (plan.resourceType === 'Group') members = await this.membersOf(state, entry.dn, values);
    return {
      resourceType: plan.resourceType,
      sourceKey: key,
      ...(externalId ? { externalId } : {}),
      attributes,
      ...(members ? { members } : {}),
      ...(this.config.keepRaw ? { raw: Object.fromEntries(values) } : {}),
    };
  }

  /** Member DNs (or memberOf search results) as source keys; dangling references are dropped. */
  private async membersOf(
    state: PullState,
    groupDn: string,
    values: Map<string, unknown[]>,
  ): Promise<string[]> {
    const membership = this.config.groups?.membership ?? 'member';
    if (membership === 'memberOf') {
      const users = this.users!;
      const keys: string[] = [];
      const filter = andFilter(users.filter, equalityFilter('memberOf', groupDn));
      const attrs = this.keyAttribute.toLowerCase() === 'dn' ? ['1.1'] : [this.keyAttribute];
      for (const base of users.config.baseDns) {
        const pages = state.client.searchPaginated(base, {
          scope: users.config.scope ?? 'sub',
          filter,
          attributes: attrs,
          explicitBufferAttributes: this.binaryNames([this.keyAttribute]),
          paged: { pageSize: this.pageSize },
        });
        const iterator = pages[Symbol.asyncIterator]();
        for (;;) {
          const page = await this.guard(() => iterator.next(), base);
          if (page.done) break;
          for (const e of page.value.searchEntries) keys.push(this.keyOf(e.dn, this.readEntry(e)));
        }
      }
      return keys;
    }
    const dns = (values.get(membership.toLowerCase()) ?? []).map(String);
    const keys: string[] = [];
    const missing: string[] = [];
    for (const dn of dns) {
      // uniqueMember may carry an optional `#'0101'B` UID suffix (RFC 4519 nameAndOptionalUID).
      const plain = membership === 'uniqueMember' ? dn.replace(/#'[01]*'B$/, '') : dn;
      if (this.keyAttribute.toLowerCase() === 'dn') keys.push(normaliseDn(plain));
      else {
        const known = state.keys.get(plain);
        if (known) keys.push(known);
        else missing.push(plain);
      }
    }
    // Members not in the cache (other subtrees, a delta, read long before, or spelled unlike the
    // entry's own DN): look them up, in batches by the DN attribute first, then one base-scope read
    // for each the batches missed. The server answers with each entry's DN as stored, which the
    // member value almost always repeats: compared verbatim first, normalised only on a miss.
    const batched = await this.lookupKeysByDnAttribute(state, missing);
    let byNormal: Map<string, string> | undefined;
    const leftover: string[] = [];
    for (const dn of missing) {
      let key = batched.get(dn);
      if (key === undefined && batched.size > 0) {
        byNormal ??= new Map([...batched].map(([stored, k]) => [normaliseDn(stored), k]));
        key = byNormal.get(normaliseDn(dn));
        if (key !== undefined) state.keys.set(dn, key); // this spelling hits next time
      }
      if (key) keys.push(key);
      else leftover.push(dn);
    }
    for (let i = 0; i < leftover.length; i += LOOKUP_CONCURRENCY) {
      const found = await Promise.all(
        leftover.slice(i, i + LOOKUP_CONCURRENCY).map((dn) => this.lookupKey(state, dn)),
      );
      for (const key of found) if (key) keys.push(key);
    }
    return keys;
  }

  /**
   * Keys of many entries by DN (as the server stores them) in few searches: `(|(entryDN=…)(entryDN=…)…)` under the users' base
   * DNs, DN_BATCH DNs per search. Thousands of base-scope reads cost thousands of round trips;
   * these cost one per batch. A server that refuses the attribute is asked one DN at a time from
   * then on (the caller's fallback).
   */
  private async lookupKeysByDnAttribute(
    state: PullState,
    dns: readonly string[],
  ): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const attribute = this.config.dnAttribute ?? 'entryDN';
    if (dns.length === 0 || attribute === 'none' || state.dnAttributeRefused || !this.users) return found;
    const users = this.users;
    const attrs = this.keyAttribute.toLowerCase() === 'dn' ? ['1.1'] : [this.keyAttribute];
    const searches: Array<{ base: string; filter: Filter }> = [];
    checkAttributeName(attribute);
    for (let i = 0; i < dns.length; i += DN_BATCH) {
      // Built as filter objects (no escaping and re-parsing of a 100-term filter string).
      const filter = new OrFilter({
        filters: dns.slice(i, i + DN_BATCH).map((dn) => new EqualityFilter({ attribute, value: dn })),
      });
      for (const base of users.config.baseDns) searches.push({ base, filter });
    }
    // A few searches in flight at once on the pull's connection: each is a round trip and a
    // filter for the server to evaluate, the next one overlaps it.
    let next = 0;
    const worker = async () => {
      while (next < searches.length && !state.dnAttributeRefused) {
        const { base, filter } = searches[next++]!;
        try {
          const { searchEntries } = await state.client.search(base, {
            scope: users.config.scope ?? 'sub',
            filter,
            attributes: attrs,
            explicitBufferAttributes: this.binaryNames([this.keyAttribute]),
          });
          for (const entry of searchEntries) {
            const key = this.keyOf(entry.dn, this.readEntry(entry));
            found.set(entry.dn, key);
            state.keys.set(entry.dn, key);
          }
        } catch (e) {
          if (e instanceof NoSuchObjectError) continue;
          if (
            e instanceof ProtocolError ||
            e instanceof UndefinedTypeError ||
            e instanceof InappropriateMatchingError
          ) {
            state.dnAttributeRefused = true;
            return;
          }
          throw this.translate(e, base);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DN_BATCH_CONCURRENCY, searches.length) }, worker));
    return found;
  }

  private async lookupKey(state: PullState, dn: string): Promise<string | undefined> {
    try {
      const { searchEntries } = await state.client.search(dn, {
        scope: 'base',
        attributes: [this.keyAttribute],
        explicitBufferAttributes: this.binaryNames([this.keyAttribute]),
      });
      const entry = searchEntries[0];
      if (!entry) return undefined;
      const key = this.keyOf(entry.dn, this.readEntry(entry));
      state.keys.set(dn, key);
      return key;
    } catch (e) {
      if (
        e instanceof NoSuchObjectError ||
        e instanceof InvalidDNSyntaxError ||
        e instanceof InsufficientAccessError
      )
        return undefined;
      throw this.translate(e, dn);
    }
  }

  private keyOf(dn: string, values: Map<string, unknown[]>): string {
    if (this.keyAttribute.toLowerCase() === 'dn') return normaliseDn(dn);
    const key = firstString(values.get(this.keyAttribute.toLowerCase()));
    if (!key)
      throw new ConnectorError(
        'config',
        `Entry ${dn} has no ${this.keyAttribute}; choose another key attribute (entryUUID, objectGUID or dn)`,
      );
    return key;
  }

  /** Attribute values by lower-cased name, binary ones already encoded as text. */
  private readEntry(entry: Entry): Map<string, unknown[]> {
    const out = new Map<string, unknown[]>();
    for (const name in entry) {
      if (name === 'dn') continue;
      const raw = entry[name];
      const lower = this.attributeKey(name);
      const list = Array.isArray(raw) ? raw : [raw];
      const encoding = this.binary.get(lower);
      if (encoding)
        out.set(
          lower,
          list.map((v) => encodeBinary(v, encoding)),
        );
      // Most values are strings already: keep ldapts' array instead of copying it (hot path).
      else if (list.some((v) => Buffer.isBuffer(v)))
        out.set(
          lower,
          list.map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : v)),
        );
      else out.set(lower, list);
    }
    return out;
  }

  /** An attribute's name as `readEntry` keys it (lower case, `;binary` dropped), remembered. */
  private attributeKey(name: string): string {
    let key = this.attributeKeys.get(name);
    if (key === undefined) {
      key = name.toLowerCase();
      if (key.endsWith(';binary')) key = key.slice(0, -7);
      // Bounded: a directory has few attribute names; a server inventing more is not remembered.
      if (this.attributeKeys.size < 1_000) this.attributeKeys.set(name, key);
    }
    return key;
  }

  private binaryNames(names: readonly string[]): string[] {
    const out = new Set<string>();
    for (const n of names) {
      if (!this.binary.has(n.toLowerCase())) continue;
      out.add(n).add(n.toLowerCase());
      for (const known of Object.keys(DEFAULT_BINARY))
        if (known.toLowerCase() === n.toLowerCase()) out.add(known);
    }
    return [...out];
  }

  private plan(
    resourceType: ResourceTypeName,
    config: LdapObjectConfig,
    deps: LdapConnectorDeps,
    memberAttribute: string | undefined,
  ): ObjectPlan {
    if (!Array.isArray(config.baseDns) || config.baseDns.length === 0)
      throw new ConnectorError('config', `${resourceType}s need at least one base DN`);
    const schemas = resourceType === 'User' ? deps.schemas?.User : deps.schemas?.Group;
    const mapper = new AttributeMapper(resourceType, config.mapping, {
      ...(schemas ? { schemas } : {}),
      ...(deps.transform ? { transform: deps.transform } : {}),
    });
    const fields = mapper.sourceFields.filter((f) => f.toLowerCase() !== 'dn');
    for (const f of fields) checkAttributeName(f);
    const attributes = [
      ...new Set(
        [
          ...fields,
          ...(this.keyAttribute.toLowerCase() === 'dn' ? [] : [this.keyAttribute]),
          config.externalIdAttribute,
          memberAttribute,
          this.flavour === 'activeDirectory' ? 'uSNChanged' : 'modifyTimestamp',
        ].filter((a): a is string => !!a),
      ),
    ];
    if (config.externalIdAttribute) checkAttributeName(config.externalIdAttribute);
    return {
      resourceType,
      config,
      filter: checkAdminFilter(config.filter, resourceType === 'User' ? 'user' : 'group'),
      mapper,
      attributes,
      binary: this.binaryNames(attributes),
    };
  }

  private cursor(watermark: string, extra: Record<string, string>): SourceCursor {
    return { kind: CURSOR_KIND, flavour: this.flavour, config: this.configId, watermark, ...extra };
  }

  private async rootDse(client: Client, attributes: string[]): Promise<Record<string, string | undefined>> {
    const { searchEntries } = await this.guard(
      () => client.search('', { scope: 'base', attributes }),
      'the root DSE',
    );
    const entry = searchEntries[0] ?? { dn: '' };
    return Object.fromEntries(
      attributes.map((a) => [a, firstString(this.readEntry(entry).get(a.toLowerCase()))]),
    );
  }

  private async connect(): Promise<Client> {
    const secure = this.config.url.toLowerCase().startsWith('ldaps:');
    const client = new Client({
      url: this.config.url,
      timeout: this.config.timeoutMs ?? 60_000,
      connectTimeout: this.config.connectTimeoutMs ?? 10_000,
      ...(secure ? { tlsOptions: this.tlsOptions } : {}),
      strictDN: false,
    });
    try {
      if (this.config.startTls) await client.startTLS({ ...this.tlsOptions });
      await client.bind(this.config.bindDn, this.config.bindPassword);
      return client;
    } catch (e) {
      await client.unbind().catch(() => undefined);
      throw this.translate(e, undefined);
    }
  }

  private async guard<T>(op: () => Promise<T>, base: string): Promise<T> {
    try {
      return await op();
    } catch (e) {
      throw this.translate(e, base);
    }
  }

  /** Every failure becomes a ConnectorError an admin can act on; the password never appears. */
  private translate(e: unknown, base: string | undefined): ConnectorError {
    if (e instanceof ConnectorError) return e;
    const where = this.config.url;
    if (e instanceof InvalidCredentialsError)
      return new ConnectorError('auth', `${where} refused the bind DN or password (invalidCredentials)`, {
        cause: e,
      });
    if (
      e instanceof InappropriateAuthError ||
      e instanceof StrongAuthRequiredError ||
      e instanceof ConfidentialityRequiredError
    )
      return new ConnectorError(
        'auth',
        `${where} refused a simple bind here: ${e.message} (use LDAPS or StartTLS)`,
        {
          cause: e,
          retryable: false,
        },
      );
    if (e instanceof InsufficientAccessError)
      return new ConnectorError(
        'auth',
        `The bind DN may not read ${base ?? 'the directory'} (insufficientAccessRights)`,
        {
          cause: e,
          retryable: false,
        },
      );
    if (e instanceof NoSuchObjectError)
      return new ConnectorError('config', `Base DN ${base ?? ''} does not exist on ${where}`, { cause: e });
    if (e instanceof InvalidDNSyntaxError)
      return new ConnectorError('config', `${base ?? 'A DN'} is not a valid DN`, { cause: e });
    const network = classifyNetworkError(e);
    if (network?.kind === 'tls')
      return new ConnectorError('tls', `TLS with ${where} failed: ${network.reason}`, {
        cause: e,
        retryable: false,
      });
    if (network)
      return new ConnectorError('unreachable', `${where} is unreachable (${network.reason})`, { cause: e });
    if (e instanceof ResultCodeError)
      return new ConnectorError(
        'remote',
        `${where} answered ${e.name} (LDAP result ${e.code}) for ${base ?? 'the request'}`,
        {
          cause: e,
        },
      );
    return new ConnectorError(
      'remote',
      `LDAP request to ${where} failed: ${e instanceof Error ? e.message : String(e)}`,
      {
        cause: e,
      },
    );
  }
}

function encodeBinary(value: unknown, encoding: LdapBinaryEncoding): string {
  // A value that happened to be valid UTF-8 was decoded by the driver; its bytes are recoverable.
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
  switch (encoding) {
    case 'guid':
      return formatGuid(bytes);
    case 'hex':
      return bytes.toString('hex');
    default:
      return bytes.toString('base64');
  }
}

function firstString(values: unknown[] | undefined): string | undefined {
  const v = values?.[0];
  return v === undefined || v === null ? undefined : String(v);
}
