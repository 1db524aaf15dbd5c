import pg from 'pg';
import type { Db } from './db';

/**
 * Result parsing as Prisma's raw queries do it, so code written against `Db` sees the same values
 * whichever runs it: int8 as bigint, uuid[] as string arrays (pg's defaults: strings).
 */
const textArray = (pg.types.getTypeParser as (oid: number) => unknown)(1009) as (text: string) => string[];
const PARSERS: Record<number, (text: string) => unknown> = {
  20: (text) => BigInt(text),
  1016: (text) => textArray(text).map((v) => BigInt(v)),
  2951: textArray,
};
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    PARSERS[oid] ?? (pg.types.getTypeParser as (oid: number, format?: string) => unknown)(oid, format),
};

/**
 * An open transaction on one pooled node-postgres connection, speaking `Db`. The engine's write
 * path runs a dozen short statements per assertion; through Prisma's interactive transactions each
 * costs ~6× the client CPU of the same statement here (ADR 0204).
 */
export class SqlTransaction implements Db {
  constructor(private readonly client: pg.PoolClient) {}

  async $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> {
    const result = await this.client.query({ text: query, values, types } as pg.QueryConfig);
    return result.rows as T;
  }

  async $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number> {
    const result = await this.client.query({ text: query, values, types } as pg.QueryConfig);
    return result.rowCount ?? 0;
  }
}
