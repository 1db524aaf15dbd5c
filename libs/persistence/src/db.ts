import type { Prisma } from './generated/client';
import type { PrismaService } from './prisma.service';

/** Either the client or an open interactive transaction: repositories accept both. */
export type Db = PrismaService | Prisma.TransactionClient;
