import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';

const run = promisify(execFile);

/** The directory identity of the test and benchmark directories (the Planet Express fixture's suffix). */
export const PLANET_EXPRESS = {
  baseDn: 'dc=planetexpress,dc=com',
  peopleDn: 'ou=people,dc=planetexpress,dc=com',
  rootDn: 'cn=admin,dc=planetexpress,dc=com',
  rootPassword: 'root-secret',
  /** A read-only service account, as a customer would give the hub. */
  readerDn: 'cn=reader,dc=planetexpress,dc=com',
  readerPassword: 'reader-secret',
} as const;

const SLAPD = process.env.SLAPD_PATH ?? '/usr/sbin/slapd';
const SLAPADD = process.env.SLAPADD_PATH ?? '/usr/sbin/slapadd';
const MODULES = process.env.SLAPD_MODULE_PATH ?? '/usr/lib/ldap';
const SCHEMAS = process.env.SLAPD_SCHEMA_PATH ?? '/etc/ldap/schema';

export interface SlapdOptions {
  /** LDIF entries added through ldapadd once the server runs (so the memberof overlay sees them). */
  initialLdif?: string;
  /** Serve ldaps:// on a second port and StartTLS on the plain one, with a CA made at start. */
  tls?: boolean;
  /** Extra LDIF loaded offline with slapadd before the server starts (fast bulk data; no overlays). */
  bulkLdif?: string;
  /** The same, from a file (for directories too large to hold as one string). */
  bulkLdifFile?: string;
  /** Server-side size limit for unpaged searches (paged searches are unlimited). Default 500. */
  sizeLimit?: number;
}

export interface SlapdTls {
  /** CA that signed the server certificate (trust this). */
  caPem: string;
  /** Another CA, for "untrusted certificate" tests. */
  otherCaPem: string;
  ldapsUrl: string;
}

export interface RunningSlapd {
  url: string;
  port: number;
  tls?: SlapdTls;
  baseDn: string;
  workDir: string;
  /** Applies LDIF change records (`changetype: add|modify|delete|modrdn`) as the root DN. */
  modify(ldif: string): Promise<void>;
  /** Adds plain LDIF entries as the root DN. */
  add(ldif: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts Debian's `slapd` as a child process on a free loopback port with its own cn=config,
 * database, pid and args files under a temp folder, so it never meets a system slapd. Works as
 * root (no -u). About a second, most of it ldapadd; `stop()` terminates it and removes the folder.
 */
export async function startSlapd(options: SlapdOptions = {}): Promise<RunningSlapd> {
  for (const bin of [SLAPD, SLAPADD]) {
    if (!fs.existsSync(bin))
      throw new Error(
        `${bin} not found: install Debian's slapd and ldap-utils (sh scripts/ensure-prerequisites.sh slapd ldap-utils)`,
      );
  }
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-hub-slapd-'));
  const configDir = path.join(workDir, 'slapd.d');
  const dbDir = path.join(workDir, 'db');
  fs.mkdirSync(configDir);
  fs.mkdirSync(dbDir);
  let child: ChildProcess | undefined;
  try {
    const port = await freePort();
    const tls = options.tls ? await makeCertificates(workDir) : undefined;
    const tlsPort = tls ? await freePort() : undefined;
    const ldif = configLdif({ workDir, dbDir, tls, sizeLimit: options.sizeLimit ?? 500 });
    fs.writeFileSync(path.join(workDir, 'config.ldif'), ldif);
    await run(SLAPADD, ['-n', '0', '-F', configDir, '-l', path.join(workDir, 'config.ldif')]);
    const base = baseEntriesLdif();
    fs.writeFileSync(
      path.join(workDir, 'base.ldif'),
      options.bulkLdif ? base + '\n' + options.bulkLdif : base,
    );
    await run(SLAPADD, ['-q', '-n', '1', '-F', configDir, '-l', path.join(workDir, 'base.ldif')], {
      maxBuffer: 64 * 1024 * 1024,
    });
    if (options.bulkLdifFile) {
      await run(SLAPADD, ['-q', '-n', '1', '-F', configDir, '-l', options.bulkLdifFile], {
        maxBuffer: 64 * 1024 * 1024,
      });
    }

    const url = `ldap://127.0.0.1:${port}`;
    const urls = [`${url}/`, ...(tlsPort ? [`ldaps://127.0.0.1:${tlsPort}/`] : [])];
    // -d 0 keeps slapd in the foreground as our child, so it dies with the test run.
    child = spawn(SLAPD, ['-d', '0', '-h', urls.join(' '), '-F', configDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
    await waitForPort(port, exited, () => stderr);
    if (tlsPort) await waitForPort(tlsPort, exited, () => stderr);

    const ldapAsRoot = async (tool: 'ldapadd' | 'ldapmodify', text: string) => {
      const file = path.join(workDir, `change-${Date.now()}-${Math.random().toString(36).slice(2)}.ldif`);
      fs.writeFileSync(file, text);
      try {
        await run(tool, [
          '-x',
          '-H',
          url,
          '-D',
          PLANET_EXPRESS.rootDn,
          '-w',
          PLANET_EXPRESS.rootPassword,
          '-f',
          file,
        ]);
      } finally {
        fs.rmSync(file, { force: true });
      }
    };
    if (options.initialLdif) await ldapAsRoot('ldapadd', options.initialLdif);

    const proc = child;
    return {
      url,
      port,
      ...(tls && tlsPort
        ? { tls: { caPem: tls.caPem, otherCaPem: tls.otherCaPem, ldapsUrl: `ldaps://127.0.0.1:${tlsPort}` } }
        : {}),
      baseDn: PLANET_EXPRESS.baseDn,
      workDir,
      add: (text) => ldapAsRoot('ldapadd', text),
      modify: (text) => ldapAsRoot('ldapmodify', text),
      stop: async () => {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill('SIGTERM');
          const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        }
        fs.rmSync(workDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    child?.kill('SIGKILL');
    fs.rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
}

function baseEntriesLdif(): string {
  return `dn: ${PLANET_EXPRESS.baseDn}
objectClass: top
objectClass: dcObject
objectClass: organization
dc: planetexpress
o: Planet Express

dn: ${PLANET_EXPRESS.readerDn}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: ${PLANET_EXPRESS.readerPassword}
`;
}

function configLdif(o: {
  workDir: string;
  dbDir: string;
  tls: { caFile: string; certFile: string; keyFile: string } | undefined;
  sizeLimit: number;
}): string {
  const tls = o.tls
    ? `olcTLSCACertificateFile: ${o.tls.caFile}\nolcTLSCertificateFile: ${o.tls.certFile}\nolcTLSCertificateKeyFile: ${o.tls.keyFile}\n`
    : '';
  const schemas = ['core', 'cosine', 'nis', 'inetorgperson']
    .map((s) => `include: file://${SCHEMAS}/${s}.ldif`)
    .join('\n\n');
  return `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: ${o.workDir}/slapd.pid
olcArgsFile: ${o.workDir}/slapd.args
${tls}
dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: ${MODULES}
olcModuleLoad: back_mdb
olcModuleLoad: memberof
olcModuleLoad: refint

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

${schemas}

dn: cn=adgroup,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: adgroup
olcAttributeTypes: ( 1.2.840.113556.1.4.750 NAME 'groupType' SYNTAX '1.3.6.1.4.1.1466.115.121.1.27' SINGLE-VALUE )
olcObjectClasses: ( 1.2.840.113556.1.5.8 NAME 'Group' SUP top STRUCTURAL MUST ( groupType $ cn ) MAY ( member ) )

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: ${PLANET_EXPRESS.baseDn}
olcRootDN: ${PLANET_EXPRESS.rootDn}
olcRootPW: ${PLANET_EXPRESS.rootPassword}
olcDbDirectory: ${o.dbDir}
olcDbMaxSize: 4294967296
olcDbNoSync: TRUE
olcDbIndex: objectClass eq
olcDbIndex: entryUUID eq
olcDbIndex: uid eq
olcDbIndex: member,uniqueMember,memberOf eq
olcSizeLimit: size.soft=${o.sizeLimit} size.hard=${o.sizeLimit} size.prtotal=unlimited
olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {1}to * by users read by * none

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfRefInt: TRUE
olcMemberOfGroupOC: Group
olcMemberOfMemberAD: member
olcMemberOfMemberOfAD: memberOf

dn: olcOverlay={1}refint,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcRefintConfig
olcOverlay: {1}refint
olcRefintAttribute: member uniqueMember
`;
}

/** A CA, a server certificate for 127.0.0.1/localhost signed by it, and an unrelated second CA. */
async function makeCertificates(workDir: string) {
  const dir = path.join(workDir, 'tls');
  fs.mkdirSync(dir);
  const f = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) =>
    run('openssl', args, { cwd: dir }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT')
        throw new Error('The openssl command is needed for TLS tests: apt-get install openssl');
      throw e;
    });
  const ca = (name: string) =>
    openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', f(`${name}.key`), '-out', f(`${name}.pem`), '-days', '2', '-subj', `/CN=scim-hub ${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]); // prettier-ignore
  await Promise.all([ca('ca'), ca('other-ca')]);
  await openssl([
    'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1',
  ]); // prettier-ignore
  fs.writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await openssl([
    'x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('server.pem'), '-days', '2', '-extfile', f('ext.cnf'),
  ]); // prettier-ignore
  return {
    caFile: f('ca.pem'),
    certFile: f('server.pem'),
    keyFile: f('server.key'),
    caPem: fs.readFileSync(f('ca.pem'), 'utf8'),
    otherCaPem: fs.readFileSync(f('other-ca.pem'), 'utf8'),
  };
}

async function waitForPort(port: number, exited: Promise<void>, output: () => string): Promise<void> {
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (dead) throw new Error(`slapd exited during start-up:\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`slapd did not listen on ${port} within 10 s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
