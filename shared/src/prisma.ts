import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

export { PrismaClient };
export type { Prisma } from './generated/prisma/client';

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  connectTimeoutMs: number;
}

/** One client per process, made in index.ts (or a test) and passed down. */
export function createPrisma({ url, poolSize, connectTimeoutMs }: DatabaseOptions): PrismaClient {
  // pg waits forever for a free connection by default; bound both the pool and the wait.
  const adapter = new PrismaPg({ connectionString: url, max: poolSize, connectionTimeoutMillis: connectTimeoutMs });
  return new PrismaClient({ adapter });
}
