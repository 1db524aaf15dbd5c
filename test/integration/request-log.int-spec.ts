import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pinoHttp, type Options } from 'pino-http';
import { httpLoggerParams } from '@hub/observability';

/**
 * The request log as the API installs it (nestjs-pino's pino-http with httpLoggerParams), in
 * front of a loopback server: what an operator reads, and what must never be in it.
 */
describe('request log', () => {
  async function serve(level: string): Promise<{
    lines: Record<string, unknown>[];
    params: ReturnType<typeof httpLoggerParams>;
    get(path: string, headers?: Record<string, string>): Promise<number>;
    close(): Promise<void>;
  }> {
    const params = httpLoggerParams({ log: { level } as never }, 'api');
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n'))
          if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const middleware = pinoHttp(params.pinoHttp as Options, sink);
    const server = http.createServer((req, res) => {
      (req as { id?: string }).id = 'req-1';
      middleware(req, res, () => {
        res.statusCode = req.url?.startsWith('/missing') ? 404 : 200;
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      lines,
      params,
      get: (path, headers = {}) =>
        new Promise((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port, path, headers }, (res) => {
              res.resume();
              res.on('end', () => setImmediate(() => resolve(res.statusCode ?? 0)));
            })
            .on('error', reject);
        }),
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }

  /** Runs `fn` against a server logging at `level`, closed afterwards whatever happens. */
  async function withServer(level: string, fn: (s: Awaited<ReturnType<typeof serve>>) => Promise<void>) {
    const s = await serve(level);
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  }

  it('writes one line per request at info: request id, method, path without its query, status; no token', async () => {
    await withServer('info', async (s) => {
      await s.get('/scim/v2/Users?filter=userName%20eq%20%22fry%22', {
        authorization: 'Bearer shub_secret_token',
      });
      await s.get('/missing');
      expect(s.lines).toHaveLength(2);
      expect(s.lines[0]).toMatchObject({
        level: 'info',
        service: 'api',
        req: { id: 'req-1', method: 'GET', url: '/scim/v2/Users?…' },
        res: { statusCode: 200 },
      });
      expect(s.lines[1]).toMatchObject({ req: { url: '/missing' }, res: { statusCode: 404 } });
      const written = JSON.stringify(s.lines);
      expect(written).not.toContain('shub_secret_token');
      expect(written).not.toContain('fry');
    });
  });

  it('skips health checks', async () => {
    await withServer('info', async (s) => {
      await s.get('/health/live');
      expect(s.lines).toEqual([]);
    });
  });

  it('prepares no request line where none is written (warn), and installs no request logger at silent', async () => {
    await withServer('warn', async (s) => {
      await s.get('/scim/v2/Users');
      expect(s.lines).toEqual([]);
      expect(s.params.pinoHttp).toMatchObject({ autoLogging: false });
    });
    // No routes: Nest applies the middleware to nothing.
    expect(httpLoggerParams({ log: { level: 'silent' } as never }, 'api').forRoutes).toEqual([]);
    expect(httpLoggerParams({ log: { level: 'info' } as never }, 'api').forRoutes).toBeUndefined();
  });
});
