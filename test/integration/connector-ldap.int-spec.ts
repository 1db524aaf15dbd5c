import fs from 'node:fs';
import path from 'node:path';
import {
  collectPull,
  ConnectorError,
  FullPullTracker,
  LdapConnector,
  toGeneralizedTime,
  type LdapConnectorConfig,
  type SourceRecord,
} from '@hub/connectors';
import { ENTERPRISE_USER_URN } from '@hub/scim';
import { eventually } from '../harness/processes';
import { freePort, PLANET_EXPRESS, startSlapd, type RunningSlapd } from '../harness/slapd';

const PEOPLE = PLANET_EXPRESS.peopleDn;

function config(slapd: RunningSlapd, overrides: Partial<LdapConnectorConfig> = {}): LdapConnectorConfig {
  return {
    url: slapd.url,
    bindDn: PLANET_EXPRESS.readerDn,
    bindPassword: PLANET_EXPRESS.readerPassword,
    pageSize: 3,
    deltaOverlapMs: 0,
    users: {
      baseDns: [PEOPLE],
      filter: '(objectClass=inetOrgPerson)',
      externalIdAttribute: 'uid',
      mapping: {
        rules: [
          { target: 'userName', source: 'uid' },
          { target: 'name.givenName', source: 'givenName' },
          { target: 'name.familyName', source: 'sn' },
          { target: 'displayName', source: 'displayName', default: 'n/a' },
          { target: 'emails[type eq "work"].value', source: 'mail', transform: 'lower', primary: true },
          { target: 'title', source: 'employeeType', transform: 'join(", ")' },
          { target: `${ENTERPRISE_USER_URN}:department`, source: 'ou' },
          { target: 'photos[type eq "photo"].value', source: 'jpegPhoto' },
        ],
      },
    },
    groups: {
      baseDns: [PEOPLE],
      filter: '(objectClass=Group)',
      mapping: { rules: [{ target: 'displayName', source: 'cn' }] },
    },
    ...overrides,
  };
}

const byUserName = (records: SourceRecord[], userName: string) =>
  records.find((r) => r.resourceType === 'User' && r.attributes.userName === userName);
const byGroupName = (records: SourceRecord[], name: string) =>
  records.find((r) => r.resourceType === 'Group' && r.attributes.displayName === name);

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectorError);
    return e as ConnectorError;
  }
  throw new Error('expected a ConnectorError');
}

/** The base64 of an attribute as written in the fixture LDIF (folded `attr:: …` lines). */
function ldifBase64(file: string, attribute: string): string {
  const text = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'ldap', 'planetexpress', file), 'utf8');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${attribute}:: `));
  let value = lines[start]!.slice(attribute.length + 3);
  for (let i = start + 1; lines[i]?.startsWith(' '); i++) value += lines[i]!.slice(1);
  return value.trim();
}

describe('LDAP connector against a real slapd', () => {
  let slapd: RunningSlapd;
  let loadedAt: string;
  beforeAll(async () => {
    slapd = await startSlapd({ tls: true });
    loadedAt = toGeneralizedTime(new Date());
  });
  afterAll(async () => slapd?.stop());

  it('full pull: users and groups mapped, streamed in pages, members resolved to entryUUIDs', async () => {
    const connector = new LdapConnector(config(slapd));
    const batches = [];
    for await (const batch of connector.fullPull()) batches.push(batch);
    const records = batches.flatMap((b) => b.records);
    expect(batches.every((b) => b.mode === 'full' && b.records.length <= 3)).toBe(true);
    expect(batches.length).toBeGreaterThanOrEqual(4); // 7 users in pages of 3, 2 groups, final cursor
    expect(batches.at(-1)!.cursor).toMatchObject({ kind: 'ldap', flavour: 'openldap' });
    expect(batches.slice(0, -1).every((b) => b.cursor === undefined)).toBe(true);

    const users = records.filter((r) => r.resourceType === 'User');
    expect(users.map((u) => u.attributes.userName).sort()).toEqual([
      'amy',
      'bender',
      'fry',
      'hermes',
      'leela',
      'professor',
      'zoidberg',
    ]);
    expect(users.every((u) => /^[0-9a-f-]{36}$/.test(u.sourceKey))).toBe(true);

    const professor = byUserName(records, 'professor')!;
    expect(professor.externalId).toBe('professor');
    expect(professor.attributes).toMatchObject({
      name: { givenName: 'Hubert', familyName: 'Farnsworth' },
      displayName: 'Professor Farnsworth',
      title: 'Owner, Founder',
      emails: [
        { type: 'work', primary: true, value: 'professor@planetexpress.com' },
        { type: 'work', value: 'hubert@planetexpress.com' },
      ],
      [ENTERPRISE_USER_URN]: { department: 'Office Management' },
    });
    // The multi-valued RDN entry reads like any other.
    expect(byUserName(records, 'amy')!.attributes).toMatchObject({
      name: { givenName: 'Amy', familyName: 'Kroker' },
    });
    // Binary jpegPhoto arrives byte for byte.
    const photo = (byUserName(records, 'bender')!.attributes.photos as { value: string }[])[0]!.value;
    expect(photo).toBe(ldifBase64('10_people_bender.ldif', 'jpegPhoto'));

    const crew = byGroupName(records, 'ship_crew')!;
    const keyOf = (uid: string) => byUserName(records, uid)!.sourceKey;
    expect([...crew.members!].sort()).toEqual([keyOf('fry'), keyOf('leela'), keyOf('bender')].sort());
    expect([...byGroupName(records, 'admin_staff')!.members!].sort()).toEqual(
      [keyOf('professor'), keyOf('hermes')].sort(),
    );
  });

  it('a DN → key cache far smaller than the directory resolves the same members (looked up on the server)', async () => {
    const whole = await collectPull(new LdapConnector(config(slapd)).fullPull());
    const tiny = await collectPull(new LdapConnector(config(slapd, { memberCacheSize: 1 })).fullPull());
    const none = await collectPull(new LdapConnector(config(slapd, { memberCacheSize: 0 })).fullPull());
    const groups = (records: SourceRecord[]) =>
      records
        .filter((r) => r.resourceType === 'Group')
        .map((g) => [g.sourceKey, [...g.members!].sort()])
        .sort();
    expect(groups(whole.records).length).toBeGreaterThan(1);
    expect(groups(tiny.records)).toEqual(groups(whole.records));
    expect(groups(none.records)).toEqual(groups(whole.records));
    expect(byGroupName(none.records, 'ship_crew')!.members).toHaveLength(3);
  });

  it('memberOf membership and DN keys give the same groups', async () => {
    const viaMemberOf = await collectPull(
      new LdapConnector(
        config(slapd, {
          keyAttribute: 'dn',
          groups: { ...config(slapd).groups!, membership: 'memberOf' },
        }),
      ).fullPull(),
    );
    const crew = byGroupName(viaMemberOf.records, 'ship_crew')!;
    expect(crew.sourceKey).toBe('cn=ship_crew,ou=people,dc=planetexpress,dc=com');
    expect([...crew.members!].sort()).toEqual([
      'cn=bender bending rodriguez,ou=people,dc=planetexpress,dc=com',
      'cn=philip j. fry,ou=people,dc=planetexpress,dc=com',
      'cn=turanga leela,ou=people,dc=planetexpress,dc=com',
    ]);
    expect(byUserName(viaMemberOf.records, 'amy')!.sourceKey).toBe(
      'cn=amy wong+sn=kroker,ou=people,dc=planetexpress,dc=com',
    );
  });

  it('LDAPS and StartTLS with the CA work; an untrusted CA is a tls error', async () => {
    const tls = slapd.tls!;
    const ldaps = new LdapConnector(config(slapd, { url: tls.ldapsUrl, tls: { caPem: tls.caPem } }));
    await expect(ldaps.testConnection()).resolves.toEqual({ detail: expect.stringContaining('1 base DN') });
    expect((await collectPull(ldaps.fullPull())).records).toHaveLength(9);
    const startTls = new LdapConnector(config(slapd, { startTls: true, tls: { caPem: tls.caPem } }));
    await expect(startTls.testConnection()).resolves.toBeDefined();

    for (const bad of [
      config(slapd, { url: tls.ldapsUrl, tls: { caPem: tls.otherCaPem } }),
      config(slapd, { url: tls.ldapsUrl }),
      config(slapd, { startTls: true, tls: { caPem: tls.otherCaPem } }),
      config(slapd, { url: tls.ldapsUrl, tls: { caPem: tls.caPem, serverName: 'directory.example.com' } }),
    ]) {
      const error = await failure(new LdapConnector(bad).testConnection());
      expect(error.kind).toBe('tls');
      expect(error.message).toMatch(/^TLS with ldap/);
    }
  });

  it('a bad password, an unreachable host and a bad base DN are clear errors, never crashes', async () => {
    const badPassword = await failure(
      new LdapConnector(config(slapd, { bindPassword: 'hunter2-wrong' })).testConnection(),
    );
    expect(badPassword).toMatchObject({ kind: 'auth', retryable: false });
    expect(badPassword.message).toContain('refused the bind DN or password');
    expect(badPassword.message).not.toContain('hunter2-wrong');

    const closedPort = await freePort();
    const unreachable = await failure(
      collectPull(new LdapConnector(config(slapd, { url: `ldap://127.0.0.1:${closedPort}` })).fullPull()),
    );
    expect(unreachable).toMatchObject({ kind: 'unreachable', retryable: true });

    const badBase = config(slapd);
    const noSuchBase = await failure(
      collectPull(
        new LdapConnector({
          ...badBase,
          users: { ...badBase.users!, baseDns: ['ou=nobody,dc=planetexpress,dc=com'] },
        }).fullPull(),
      ),
    );
    expect(noSuchBase.kind).toBe('config');
    expect(noSuchBase.message).toContain('ou=nobody,dc=planetexpress,dc=com does not exist');

    expect(() => new LdapConnector(config(slapd, { url: 'http://127.0.0.1' }))).toThrow(ConnectorError);
    expect(
      () => new LdapConnector({ ...badBase, users: { ...badBase.users!, filter: '(&(uid=fry)' } }),
    ).toThrow(/not a valid LDAP filter/);
  });

  it('resolves members spelled unlike their entries (case, spaces) with the cache and without it', async () => {
    const shout = (name: string) => `CN=${name.toUpperCase()}, ${PEOPLE.toUpperCase().replace(/,/g, ', ')}`;
    await slapd.add(`dn: cn=loud crew,${PEOPLE}
objectClass: Group
cn: loud crew
groupType: 2147483650
member: ${shout('Philip J. Fry')}
member: ${shout('Turanga Leela')}
`);
    try {
      for (const memberCacheSize of [20_000, 0]) {
        const result = await collectPull(new LdapConnector(config(slapd, { memberCacheSize })).fullPull());
        const loud = byGroupName(result.records, 'loud crew')!;
        expect([...loud.members!].sort()).toEqual(
          [
            byUserName(result.records, 'fry')!.sourceKey,
            byUserName(result.records, 'leela')!.sourceKey,
          ].sort(),
        );
      }
    } finally {
      await slapd.modify(`dn: cn=loud crew,${PEOPLE}\nchangetype: delete\n`);
    }
  });

  it('escapes a group DN full of filter characters when searching memberOf', async () => {
    await slapd.add(`dn: cn=R&D (east)*\\2C \\5C lab,${PEOPLE}
objectClass: Group
cn: R&D (east)*, \\ lab
groupType: 2147483650
member: cn=Philip J. Fry,${PEOPLE}
`);
    const result = await collectPull(
      new LdapConnector(
        config(slapd, { groups: { ...config(slapd).groups!, membership: 'memberOf' } }),
      ).fullPull(),
    );
    const lab = byGroupName(result.records, 'R&D (east)*, \\ lab')!;
    expect(lab.members).toEqual([byUserName(result.records, 'fry')!.sourceKey]);
    await slapd.modify(`dn: cn=R&D (east)*\\2C \\5C lab,${PEOPLE}\nchangetype: delete\n`);
  });

  it('delta after modify, add and delete; deletions come from the next full pull', async () => {
    // Entries loaded in the same second as the watermark would legitimately reappear in the delta.
    await eventually(async () => (toGeneralizedTime(new Date()) > loadedAt ? true : undefined), 3000);
    const connector = new LdapConnector(config(slapd));
    const full = await collectPull(connector.fullPull());
    const fryKey = byUserName(full.records, 'fry')!.sourceKey;
    const zoidbergKey = byUserName(full.records, 'zoidberg')!.sourceKey;

    await slapd.modify(`dn: cn=Philip J. Fry,${PEOPLE}
changetype: modify
replace: mail
mail: Philip.Fry@PlanetExpress.com

dn: cn=ship_crew,${PEOPLE}
changetype: modify
delete: member
member: cn=Turanga Leela,${PEOPLE}

dn: cn=John A. Zoidberg,${PEOPLE}
changetype: delete
`);
    await slapd.add(`dn: cn=Kif Kroker,${PEOPLE}
objectClass: inetOrgPerson
cn: Kif Kroker
sn: Kroker
givenName: Kif
uid: kif
mail: kif@planetexpress.com
`);

    const delta = await collectPull(connector.deltaPull(full.cursor!));
    expect(delta.mode).toBe('delta');
    expect(delta.deletions).toEqual([]); // plain LDAP has no tombstones
    const names = delta.records.map((r) => r.attributes.userName ?? r.attributes.displayName);
    expect(names).toEqual(expect.arrayContaining(['fry', 'kif', 'ship_crew']));
    expect(names).not.toContain('hermes');
    expect(names).not.toContain('admin_staff');
    const fry = byUserName(delta.records, 'fry')!;
    expect(fry.sourceKey).toBe(fryKey);
    expect(fry.attributes.emails).toEqual([
      { type: 'work', primary: true, value: 'philip.fry@planetexpress.com' },
    ]);
    const crew = byGroupName(delta.records, 'ship_crew')!;
    expect(crew.members).toHaveLength(2);
    expect(crew.members).toContain(fryKey); // resolved by lookup: fry's entry is in this delta, bender's is not

    // A second delta from the new cursor does not repeat the same changes.
    const again = await collectPull(connector.deltaPull(delta.cursor!));
    expect(again.records.map((r) => r.attributes.userName)).not.toContain('hermes');

    const tracker = new FullPullTracker();
    for await (const batch of connector.fullPull()) tracker.observe(batch);
    tracker.complete();
    const known = full.records.filter((r) => r.resourceType === 'User').map((r) => r.sourceKey);
    expect([...tracker.unseen('User', known)]).toEqual([zoidbergKey]);
  });

  it('falls back to a full pull for a cursor written by another configuration', async () => {
    const result = await collectPull(
      new LdapConnector(config(slapd)).deltaPull({
        kind: 'ldap',
        flavour: 'openldap',
        config: 'other',
        watermark: 'x',
      }),
    );
    expect(result.mode).toBe('full');
    expect(result.records.length).toBeGreaterThan(5);
  });
});
