import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import pino, { type Logger, type LoggerOptions } from 'pino';
import type { Params } from 'nestjs-pino';
import type { HubConfig } from '@hub/config';

/**
 * Paths pino blanks out wherever they appear in a log line. Secrets must never reach logs: tokens
 * travel in Authorization headers, passwords and client secrets in bodies and source configs.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secret',
  '*.token',
  '*.clientSecret',
  '*.bindPassword',
  '*.secrets',
  'password',
  'secret',
  'token',
];

export function loggerOptions(config: Pick<HubConfig, 'log'>, service: string): LoggerOptions {
  return {
    level: config.log.level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

export function createLogger(config: Pick<HubConfig, 'log'>, service: string): Logger {
  return pino(loggerOptions(config, service));
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A request's id: the caller's X-Request-Id when it is well-formed, else a new UUID. */
export function requestIdOf(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * nestjs-pino settings: one JSON line per request with its request id, no secrets, no bodies.
 * Below `info` no request line is ever written, so none is prepared; at `silent` the request
 * logger is not installed at all (it costs a child logger and an async context per request).
 */
export function httpLoggerParams(config: Pick<HubConfig, 'log'>, service: string): Params {
  const options = loggerOptions(config, service);
  if (config.log.level === 'silent') return { pinoHttp: options, forRoutes: [] };
  const writesRequests = pino.levels.values[config.log.level]! <= pino.levels.values['info']!;
  return {
    pinoHttp: {
      ...options,
      genReqId: (req: IncomingMessage) => (req as { id?: string }).id ?? randomUUID(),
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: stripQuerySecrets(req.url),
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: writesRequests
        ? { ignore: (req: IncomingMessage) => (req.url ?? '').startsWith('/health') }
        : false,
    },
  };
}

/** Query strings can carry filters with personal data or tokens; keep only the path. */
function stripQuerySecrets(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}
