import type { IncomingMessage } from 'node:http';
import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { HubConfig } from '@hub/config';
import { FrameworkLogFilter, requestIdOf } from '@hub/observability';
import { ApiModule } from './api.module';
import { buildOpenApiDocument } from './openapi/build-openapi';
import { ApiErrorFilter } from './scim/scim-error.filter';

export interface AppOptions {
  /** Off when several apps share one process (embedded mode): that process handles signals itself. */
  shutdownHooks?: boolean;
  /** `service` field of every log line. */
  serviceName?: string;
}

/** A route as the HTTP server serves it (the route-walking auth test reads these). */
export interface ServedRoute {
  method: string;
  path: string;
}
const served = new WeakMap<INestApplication, ServedRoute[]>();

/** Every route the HTTP server registered, read from Fastify as Nest set it up. */
export function servedRoutes(app: INestApplication): ServedRoute[] {
  return served.get(app) ?? [];
}

/** application/json, application/scim+json and any other application/*+json. */
const JSON_TYPES = /^application\/([a-z0-9.+-]+\+)?json$/i;

/** Builds the API application (not yet listening); shared by main, the embedded mode and tests. */
export async function createApiApp(config: HubConfig, options: AppOptions = {}): Promise<INestApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    // Every request gets an id before anything else runs (body errors included): the caller's
    // X-Request-Id when well-formed, else a new UUID; pino-http reads it from the raw request.
    genReqId: (raw: IncomingMessage) => {
      const id = requestIdOf(raw.headers['x-request-id']);
      (raw as { id?: string }).id = id;
      return id;
    },
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false },
    // Nest's exception filters answer errors; Fastify's own logger stays off (pino-http logs requests).
    logger: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forRoot(config, options.serviceName ?? 'api'),
    adapter,
    { bufferLogs: true, bodyParser: false },
  );
  app.useLogger(new FrameworkLogFilter(app.get(Logger)));
  const fastify = app.getHttpAdapter().getInstance();
  const routes: ServedRoute[] = [];
  served.set(app, routes);
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      if (method !== 'HEAD' && method !== 'OPTIONS') routes.push({ method, path: route.url });
  });
  fastify.decorateRequest('principal', undefined);
  fastify.addHook('onRequest', (req, reply, done) => {
    void reply.header('X-Request-Id', req.id);
    done();
  });
  // JSON bodies (SCIM's application/scim+json too), with Fastify's prototype-poisoning guard. Any
  // other type is left unparsed: the SCIM guard answers 415, admin DTO validation a 400.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    JSON_TYPES,
    { parseAs: 'string' },
    fastify.getDefaultJsonParser('error', 'error'),
  );
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, _body, done) => done(null, undefined));
  // SCIM routes answer with SCIM error bodies, every other route with the admin JSON shape.
  app.useGlobalFilters(new ApiErrorFilter());
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  buildOpenApiDocument(app);
  return app;
}
