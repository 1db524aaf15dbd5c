/**
 * What repositories need to run SQL: the pool (`PrismaService`), a Prisma transaction, or a plain
 * node-postgres transaction (`SqlTransaction`, for the engine's write path: ADR 0204). Raw SQL
 * only, so any of the three fits. Results follow Prisma's raw conventions: int8 as bigint.
 */
export interface Db {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}
