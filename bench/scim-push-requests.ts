import type { Dispatcher } from 'undici';

/**
 * The two requests a push of a new user sends (match by userName through POST /.search, then
 * create), as undici request options. The direct client and the push floor both build them here,
 * so the floor's figure and the target's own capacity measure the same requests as the hub sends.
 */
export function matchRequest(prefix: string, userName: string): Dispatcher.RequestOptions {
  return {
    method: 'POST',
    path: `${prefix}/Users/.search`,
    headers: { 'content-type': 'application/scim+json' },
    body: JSON.stringify({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: `userName eq ${JSON.stringify(userName)}`,
      count: 2,
    }),
  };
}

export function createRequest(prefix: string, body: Record<string, unknown>): Dispatcher.RequestOptions {
  return {
    method: 'POST',
    path: `${prefix}/Users`,
    headers: { 'content-type': 'application/scim+json' },
    body: JSON.stringify(body),
  };
}

/** The benchmark's user number `i`: what the push benchmark loads and the direct client creates. */
export function benchUser(i: number): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: `user${i}@example.test`,
    name: { givenName: `Given${i}`, familyName: `Family${i}` },
    displayName: `Given${i} Family${i}`,
    title: `Title ${i % 50}`,
    emails: [{ value: `user${i}@example.test`, type: 'work', primary: true }],
    active: true,
  };
}
