import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { EnvironmentVariables } from './environment';
import type { HubConfig } from './hub-config';

/** Thrown at start-up; its message names every offending variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** Variables the calling process cannot run without (api and worker need both URLs). */
  require?: Array<'DATABASE_URL' | 'REDIS_URL'>;
}

/** Validates `env` and builds the typed configuration, or throws ConfigError. Pure: no I/O. */
export function loadConfig(env: NodeJS.ProcessEnv, options: LoadConfigOptions = {}): HubConfig {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) raw[key] = value;
  const vars = plainToInstance(EnvironmentVariables, raw, { excludeExtraneousValues: false });
  const problems = validateSync(vars, { whitelist: false, forbidUnknownValues: false }).flatMap(describe);
  for (const name of options.require ?? []) {
    if (!env[name]) problems.push(`${name} is required`);
  }
  if (problems.length) throw new ConfigError(problems);

  const port = vars.PORT ?? 3000;
  const host = vars.HOST ?? '127.0.0.1';
  const nodeEnv = (vars.NODE_ENV ?? 'development') as HubConfig['env'];
  return {
    env: nodeEnv,
    database: {
      url: vars.DATABASE_URL ?? '',
      poolSize: vars.DATABASE_POOL_SIZE ?? 10,
      migrateOnStart: vars.MIGRATE_ON_START ?? false,
    },
    redis: { url: vars.REDIS_URL ?? '', queuePrefix: vars.QUEUE_PREFIX ?? 'hub' },
    http: {
      host,
      port,
      publicBaseUrl: (
        vars.PUBLIC_BASE_URL ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`
      ).replace(/\/+$/, ''),
      bodyLimitBytes: vars.REQUEST_BODY_LIMIT_BYTES ?? 1024 * 1024,
    },
    log: {
      level: vars.LOG_LEVEL ?? (nodeEnv === 'test' ? 'warn' : 'info'),
      format: (vars.LOG_FORMAT ?? 'json') as 'json' | 'pretty',
    },
    secretsKey: vars.SECRETS_KEY ? Buffer.from(vars.SECRETS_KEY, 'base64') : undefined,
    worker: {
      queues: vars.WORKER_QUEUES ? vars.WORKER_QUEUES.split(',') : 'all',
      concurrency: vars.WORKER_CONCURRENCY ?? 8,
      shutdownGraceMs: vars.SHUTDOWN_GRACE_MS ?? 25_000,
      lockMs: vars.JOB_LOCK_MS ?? 30_000,
    },
    outbox: {
      relay: vars.OUTBOX_RELAY ?? true,
      pollMs: vars.OUTBOX_POLL_MS ?? 1000,
      batchSize: vars.OUTBOX_BATCH_SIZE ?? 500,
    },
  };
}

function describe(error: ValidationError): string[] {
  const own = Object.values(error.constraints ?? {}).map((message) =>
    // class-validator messages start with the property name for built-in rules; custom ones name it already.
    message.startsWith(error.property) ? message : `${error.property}: ${message}`,
  );
  return [...own, ...(error.children ?? []).flatMap(describe)];
}
