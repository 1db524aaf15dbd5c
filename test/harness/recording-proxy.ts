import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through HTTP proxy on loopback that records when each request arrived, for targets
 * that do not record their own traffic (another hub instance). Point the hub at `baseUrl`.
 */
export interface RecordingProxy {
  baseUrl: string;
  requests: Array<{ method: string; path: string; at: number; status: number }>;
  close(): Promise<void>;
}

/** `tls`: serve HTTPS with this key and certificate (PEM), e.g. a self-signed one. */
export async function startRecordingProxy(
  upstreamBaseUrl: string,
  options: { tls?: { key: string; cert: string } } = {},
): Promise<RecordingProxy> {
  const upstream = new URL(upstreamBaseUrl);
  const requests: RecordingProxy['requests'] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const handler: http.RequestListener = (req, res) => {
    const entry = { method: req.method ?? 'GET', path: req.url ?? '/', at: Date.now(), status: 0 };
    requests.push(entry);
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      (answer) => {
        entry.status = answer.statusCode ?? 0;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      entry.status = 502;
      res.destroy();
    });
    req.pipe(forward);
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}${upstream.pathname.replace(/\/+$/, '')}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
