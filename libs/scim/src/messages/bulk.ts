import { BULK_REQUEST_URN, BULK_RESPONSE_URN } from '../constants';
import {
  InvalidSyntaxError,
  InvalidValueError,
  PayloadTooLargeError,
  type ScimErrorJson,
} from '../errors/scim-error';
import { getOwnCi, isPlainObject, quote } from '../util/json.util';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** RFC 7644 §3.7 operation in a BulkRequest. */
export interface BulkOperation {
  method: BulkMethod;
  bulkId?: string;
  version?: string;
  path: string;
  data?: unknown;
}

export interface BulkRequest {
  schemas: [typeof BULK_REQUEST_URN];
  failOnErrors?: number;
  Operations: BulkOperation[];
}

export interface BulkResponseOperation {
  method: BulkMethod;
  bulkId?: string;
  version?: string;
  location?: string;
  /** HTTP status as a string, as in the RFC 7644 §3.7.3 examples. */
  status: string;
  response?: ScimErrorJson | Record<string, unknown>;
}

export interface BulkResponse {
  schemas: [typeof BULK_RESPONSE_URN];
  Operations: BulkResponseOperation[];
}

const METHODS: readonly BulkMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Checks the shape of a BulkRequest. Over `maxOperations` is 413 (RFC 7644 §3.7.4); POST
 * needs a bulkId, bulkIds are unique, paths are relative (`/Users`, `/Groups/{id}`).
 */
export function parseBulkRequest(body: unknown, limits: { maxOperations: number }): BulkRequest {
  if (!isPlainObject(body)) throw new InvalidSyntaxError('Bulk request must be a JSON object');
  const schemas = getOwnCi(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.includes(BULK_REQUEST_URN))
    throw new InvalidSyntaxError(`"schemas" must contain ${BULK_REQUEST_URN}`);
  const ops = getOwnCi(body, 'Operations');
  if (!Array.isArray(ops) || ops.length === 0)
    throw new InvalidSyntaxError('"Operations" must be a non-empty array');
  if (ops.length > limits.maxOperations) {
    throw new PayloadTooLargeError(
      `The bulk request has ${ops.length} operations; the maximum is ${limits.maxOperations}`,
    );
  }
  const failOnErrors = getOwnCi(body, 'failOnErrors');
  if (
    failOnErrors !== undefined &&
    (typeof failOnErrors !== 'number' || !Number.isSafeInteger(failOnErrors) || failOnErrors < 1)
  ) {
    throw new InvalidValueError('failOnErrors must be a positive integer');
  }
  const bulkIds = new Set<string>();
  const operations = ops.map((raw, i): BulkOperation => {
    const at = `Operations[${i}]`;
    if (!isPlainObject(raw)) throw new InvalidSyntaxError(`${at} must be a JSON object`);
    const method = getOwnCi(raw, 'method');
    const upper = typeof method === 'string' ? method.toUpperCase() : '';
    if (!(METHODS as readonly string[]).includes(upper))
      throw new InvalidValueError(`${at}.method must be one of ${METHODS.join(', ')}`);
    const path = getOwnCi(raw, 'path');
    if (typeof path !== 'string' || !/^\/[A-Za-z][A-Za-z0-9_-]*(\/[^/?#\s]+)?$/.test(path)) {
      throw new InvalidValueError(`${at}.path must be like "/Users" or "/Users/{id}", got ${quote(path)}`);
    }
    const bulkId = getOwnCi(raw, 'bulkId');
    if (bulkId !== undefined) {
      if (typeof bulkId !== 'string' || bulkId.length === 0 || bulkId.length > 256)
        throw new InvalidValueError(`${at}.bulkId must be a string`);
      if (bulkIds.has(bulkId)) throw new InvalidValueError(`${at}: bulkId ${quote(bulkId)} is used twice`);
      bulkIds.add(bulkId);
    } else if (upper === 'POST') throw new InvalidValueError(`${at}: POST needs a bulkId`);
    const version = getOwnCi(raw, 'version');
    if (version !== undefined && typeof version !== 'string')
      throw new InvalidValueError(`${at}.version must be a string`);
    const data = getOwnCi(raw, 'data');
    if (upper !== 'DELETE' && data === undefined)
      throw new InvalidSyntaxError(`${at}: ${upper} needs "data"`);
    return {
      method: upper as BulkMethod,
      path,
      ...(bulkId !== undefined ? { bulkId: bulkId as string } : {}),
      ...(version !== undefined ? { version: version as string } : {}),
      ...(data !== undefined ? { data } : {}),
    };
  });
  return {
    schemas: [BULK_REQUEST_URN],
    ...(failOnErrors !== undefined ? { failOnErrors } : {}),
    Operations: operations,
  };
}

export function buildBulkResponse(operations: BulkResponseOperation[]): BulkResponse {
  return { schemas: [BULK_RESPONSE_URN], Operations: operations };
}
