import { Injectable, Logger } from '@nestjs/common';
import {
  ConflictError,
  InvalidValueError,
  ScimError,
  buildBulkResponse,
  parseBulkRequest,
  type BulkOperation,
  type BulkResponse,
  type BulkResponseOperation,
} from '@hub/scim';
import { toScimErrorBody } from './scim-error.filter';
import { SCIM_LIMITS } from './scim-constants';
import { ScimResourceService, type ScimCaller, type ScimResult } from './scim-resource.service';

const BULK_REF = /^bulkId:(.+)$/;
const MAX_SCAN_DEPTH = 16;

/**
 * RFC 7644 §3.7 Bulk. Operations run one by one through the same code as single requests (each
 * its own transaction, so one failure does not undo the others), in dependency order: an
 * operation that names `bulkId:x` (in its path or anywhere in its data) runs after the POST that
 * defines x, also when that POST comes later in the request (§3.7.2 forward references).
 * References that can never resolve (undefined, failed, or circular) fail that operation with
 * 409. `failOnErrors` stops processing after that many errors; unprocessed operations are left
 * out of the response.
 */
@Injectable()
export class ScimBulkService {
  private readonly logger = new Logger(ScimBulkService.name);

  constructor(private readonly service: ScimResourceService) {}

  async run(caller: ScimCaller, body: unknown): Promise<BulkResponse> {
    const request = parseBulkRequest(body, { maxOperations: SCIM_LIMITS.bulkMaxOperations });
    const ops = request.Operations;
    const definedBy = new Map<string, number>();
    ops.forEach((op, i) => {
      if (op.method === 'POST' && op.bulkId !== undefined) definedBy.set(op.bulkId, i);
    });
    const refs = ops.map((op) => referencedBulkIds(op));
    const created = new Map<string, string>(); // bulkId → id
    const failed = new Set<string>();
    const results: BulkResponseOperation[] = [];
    const pending = new Set(ops.map((_, i) => i));
    let errors = 0;
    const stop = () => request.failOnErrors !== undefined && errors >= request.failOnErrors;
    const record = (result: BulkResponseOperation, op: BulkOperation) => {
      results.push(result);
      const ok = Number(result.status) < 400;
      if (!ok) errors++;
      if (op.method === 'POST' && op.bulkId !== undefined) {
        if (ok && result.location)
          created.set(op.bulkId, result.location.slice(result.location.lastIndexOf('/') + 1));
        else failed.add(op.bulkId);
      }
    };

    while (pending.size > 0 && !stop()) {
      let progressed = false;
      for (const i of [...pending]) {
        if (stop()) break;
        const op = ops[i]!;
        const deps = [...refs[i]!].filter((b) => b !== op.bulkId || op.method !== 'POST');
        const undefinedRef = deps.find((b) => !definedBy.has(b));
        const failedRef = deps.find((b) => failed.has(b));
        if (undefinedRef !== undefined || failedRef !== undefined) {
          pending.delete(i);
          progressed = true;
          const detail =
            undefinedRef !== undefined
              ? `bulkId "${undefinedRef}" is not defined by a POST in this request`
              : `bulkId "${failedRef}" cannot be resolved: its operation failed`;
          record(errorResult(op, new ConflictError(detail)), op);
          continue;
        }
        if (!deps.every((b) => created.has(b))) continue;
        pending.delete(i);
        progressed = true;
        record(await this.execute(caller, op, created), op);
      }
      if (!progressed) {
        // What is left waits on itself: a circular reference.
        for (const i of [...pending].sort((a, b) => a - b)) {
          if (stop()) break;
          pending.delete(i);
          const op = ops[i]!;
          record(
            errorResult(
              op,
              new ConflictError('Circular bulkId reference between operations of this request'),
            ),
            op,
          );
        }
      }
    }
    return buildBulkResponse(results);
  }

  private async execute(
    caller: ScimCaller,
    op: BulkOperation,
    created: Map<string, string>,
  ): Promise<BulkResponseOperation> {
    try {
      const path = resolveRefs(op.path, created) as string;
      const data = op.data === undefined ? undefined : resolveRefs(op.data, created);
      const [, endpoint, id] = /^\/([^/]+)(?:\/([^/]+))?$/.exec(path) ?? [];
      if (!endpoint) throw new InvalidValueError(`Invalid path ${op.path}`);
      const ifMatch = op.version !== undefined ? { ifMatch: op.version } : {};
      let result: ScimResult;
      if (op.method === 'POST') {
        if (id !== undefined)
          throw new InvalidValueError('POST paths name a resource type endpoint, like "/Users"');
        result = await this.service.create(caller, endpoint, data);
      } else {
        if (id === undefined)
          throw new InvalidValueError(`${op.method} paths name a resource, like "/Users/{id}"`);
        if (op.method === 'PUT') result = await this.service.replace(caller, endpoint, id, data, ifMatch);
        else if (op.method === 'PATCH')
          result = await this.service.patch(caller, endpoint, id, data, ifMatch);
        else result = await this.service.delete(caller, endpoint, id, ifMatch);
      }
      return {
        method: op.method,
        ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}),
        ...(result.etag ? { version: result.etag } : {}),
        ...(result.location ? { location: result.location } : {}),
        status: String(result.status),
      };
    } catch (error) {
      if (!(error instanceof ScimError))
        this.logger.error({ err: error }, 'bulk operation failed unexpectedly');
      return errorResult(op, error);
    }
  }
}

function errorResult(op: BulkOperation, error: unknown): BulkResponseOperation {
  const { status, body } = toScimErrorBody(error);
  return {
    method: op.method,
    ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}),
    status: String(status),
    response: body,
  };
}

/** Every `bulkId:x` in the path or the data. */
function referencedBulkIds(op: BulkOperation): Set<string> {
  const out = new Set<string>();
  const scan = (value: unknown, depth: number) => {
    if (depth > MAX_SCAN_DEPTH) return;
    if (typeof value === 'string') {
      const m = BULK_REF.exec(value);
      if (m) out.add(m[1]!);
    } else if (Array.isArray(value)) value.forEach((v) => scan(v, depth + 1));
    else if (value !== null && typeof value === 'object')
      Object.values(value).forEach((v) => scan(v, depth + 1));
  };
  for (const segment of op.path.split('/')) scan(segment, 0);
  scan(op.data, 0);
  return out;
}

function resolveRefs(value: unknown, created: Map<string, string>, depth = 0): unknown {
  if (depth > MAX_SCAN_DEPTH) return value;
  if (typeof value === 'string') {
    if (value.includes('/'))
      return value
        .split('/')
        .map((s) => resolveRefs(s, created, depth + 1))
        .join('/');
    const m = BULK_REF.exec(value);
    return m && created.has(m[1]!) ? created.get(m[1]!) : value;
  }
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, created, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      Object.defineProperty(out, k, {
        value: resolveRefs(v, created, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return value;
}
