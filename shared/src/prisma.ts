import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client';

export { PrismaClient };
export type { Prisma } from './generated/prisma/client';

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  connectTimeoutMs: number;
}

// A symbol-keyed property rather than a WeakMap: it stays reachable through `$extends` clients.
const POOL = Symbol('pg pool');

/** One client per process, made in index.ts (or a test) and passed down. */
export function createPrisma({ url, poolSize, connectTimeoutMs }: DatabaseOptions): PrismaClient {
  // pg waits forever for a free connection by default; bound both the pool and the wait.
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: connectTimeoutMs });
  // pg drops an idle connection that fails (e.g. a Postgres restart); an 'error' event with no
  // listener would crash the process, and the adapter only listens once Prisma has connected.
  pool.on('error', () => {});
  // The pool is ours so that the hot reads (pg-reads.ts) share it; $disconnect still ends it.
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  Object.defineProperty(prisma, POOL, { value: pool });
  return prisma;
}

/** The pg pool under a client made by createPrisma: the same connections, not a second pool. */
export function poolOf(prisma: PrismaClient): pg.Pool {
  const pool = (prisma as PrismaClient & { [POOL]?: pg.Pool })[POOL];
  if (!pool) throw new Error('This Prisma client was not made by createPrisma: it has no pool to share');
  return pool;
}
