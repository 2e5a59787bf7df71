// Bench child: every subgraph of the composition in one process (as the test stack runs them),
// over the bench's own database and Redis prefix. Counts the SQL statements the subgraphs send
// (by wrapping pg's Client#query, which Prisma's pg adapter and raw queries both go through)
// and the HTTP requests each subgraph answers.
import pg from 'pg';
import Redis from 'ioredis';
import { createLogger, createMetrics, createPrisma, loadConfig, RedisPubSub, type SubgraphServer } from '@commons/shared';
import { SUBGRAPH_FACTORIES } from '../../subgraphs';
import { serveChild } from '../lib/child';
import { env } from '../lib/env';

let statements = 0;
let log: string[] | undefined;
const originalQuery = pg.Client.prototype.query;
(pg.Client.prototype as { query: unknown }).query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  if (log && log.length < 2000) {
    const q = args[0] as string | { text?: string };
    const text = typeof q === 'string' ? q : (q?.text ?? '?');
    log.push(text.replace(/\s+/g, ' ').slice(0, 160));
  }
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
};

serveChild(async () => {
  const e = env();
  const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: e.jwtSecret, GATEWAY_SECRET: e.gatewaySecret, LOG_LEVEL: 'silent' });
  const logger = createLogger('bench-subgraphs', 'silent');
  // As a deployment's subgraphs run against a real Postgres (DB_PREPARED_STATEMENTS defaults on).
  const prisma = createPrisma({ url: e.databaseUrl, poolSize: e.poolSize, connectTimeoutMs: 5000, preparedStatements: config.db.preparedStatements });
  const pubsub = new RedisPubSub({ url: e.redisUrl, prefix: e.prefix, logger });
  const redis = new Redis(e.redisUrl, { keyPrefix: e.prefix, maxRetriesPerRequest: 1 });
  const deps = { prisma, pubsub, redis, logger, metrics: createMetrics() };
  const urls: Record<string, string> = {};
  const requests: Record<string, number> = {};
  const servers: SubgraphServer[] = [];
  for (const [name, create] of Object.entries(SUBGRAPH_FACTORIES)) {
    const server = create(deps, { gatewaySecret: e.gatewaySecret, production: config.production });
    urls[name] = await server.listen(0, '127.0.0.1');
    requests[name] = 0;
    server.httpServer.on('request', () => void requests[name]++);
    servers.push(server);
  }
  return {
    info: { urls },
    handlers: {
      counters: () => ({ statements, requests: { ...requests } }),
      /** Starts (or stops) recording statement texts; returns what was recorded. */
      sqlLog: (on: boolean) => {
        const recorded = log ?? [];
        log = on ? [] : undefined;
        return recorded;
      },
    },
    async close() {
      for (const s of servers) await s.close();
      await pubsub.dispose();
      await redis.quit().catch(() => {});
      await prisma.$disconnect();
    },
  };
});
