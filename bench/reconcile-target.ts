import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
/** Most objects a page holds, whatever the client asks for. */
const MAX_PAGE = 500;

/** The hub id of generated user i of a set (a uuid the SQL side computes the same way). */
export function hubId(set: string, i: number): string {
  const h = createHash('md5').update(`${set}${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function attributesOf(set: string, i: number) {
  return {
    userName: `${set}user${i}`,
    name: { givenName: `Given${i}`, familyName: `Family${i}` },
    title: `Title ${i % 50}`,
    active: true,
  };
}

export interface InMemoryTarget {
  baseUrl: string;
  /** Changes the title of a share of the users; returns how many. */
  drift(share: number): number;
}

/** An in-memory SCIM target: index-paged GET of users, and PATCH/PUT/POST accepted as is. */
export async function serveTarget(n: number, set: string): Promise<InMemoryTarget> {
  const users = Array.from({ length: n }, (_, i) => ({
    schemas: [USER],
    id: `${set}-r${i}`,
    externalId: hubId(set, i),
    ...attributesOf(set, i),
    meta: { resourceType: 'User', lastModified: '2026-01-01T00:00:00Z' },
  })) as Array<Record<string, unknown>>;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/scim+json');
      if (req.method === 'GET' && url.pathname.endsWith('/Users')) {
        const start = Math.max(1, Number(url.searchParams.get('startIndex') ?? 1));
        const count = Math.min(MAX_PAGE, Number(url.searchParams.get('count') ?? MAX_PAGE));
        const page = users.slice(start - 1, start - 1 + count);
        res.end(
          JSON.stringify({
            schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
            totalResults: users.length,
            startIndex: start,
            itemsPerPage: page.length,
            Resources: page,
          }),
        );
        return;
      }
      res.statusCode = req.method === 'DELETE' ? 204 : 200;
      res.end(req.method === 'DELETE' ? '' : JSON.stringify({ id: 'x' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2`,
    drift(share) {
      const every = Math.round(1 / share);
      let k = 0;
      for (let i = 0; i < users.length; i += every) {
        users[i] = { ...users[i], title: 'Edited at the target' };
        k++;
      }
      return k;
    },
  };
}
