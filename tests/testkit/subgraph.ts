import { randomBytes } from 'node:crypto';
import {
  createForwardedUserSigner,
  createLogger,
  createMetrics,
  createPrisma,
  FORWARDED_USER_HEADER,
  RedisPubSub,
  type ServiceDeps,
  type SubgraphServer,
  type Viewer,
} from '@commons/shared';
import Redis from 'ioredis';
import { createTestDatabase, TEST_REDIS_URL } from './database';

export const TEST_GATEWAY_SECRET = 'test-gateway-secret-0123456789-abcdefghij';

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

/** Test deps on real Postgres (a database of the file's own) and real Redis (a prefix of its own). */
export async function createTestDeps(label: string, redisUrl = TEST_REDIS_URL) {
  const db = await createTestDatabase(label);
  const prefix = `test:${randomBytes(4).toString('hex')}:`;
  const replicas: ServiceDeps[] = [];
  /** Deps as another process would make them: its own pool and Redis connections, same database and prefix. */
  const replicaDeps = (): ServiceDeps => {
    const logger = createLogger(label, process.env.TEST_LOG_LEVEL ?? 'silent');
    const deps = {
      // Named prepared statements, as on every real Postgres by default (DB_PREPARED_STATEMENTS).
      prisma: createPrisma({ url: db.url, poolSize: 10, connectTimeoutMs: 5000, preparedStatements: true }),
      pubsub: new RedisPubSub({ url: redisUrl, prefix, logger }),
      // Keys under the file's own prefix, so test files never share caches or limits.
      redis: new Redis(redisUrl, { keyPrefix: prefix, maxRetriesPerRequest: 1, enableOfflineQueue: false }),
      logger,
      metrics: createMetrics(),
    };
    replicas.push(deps);
    return deps;
  };
  const deps = replicaDeps();
  return {
    deps,
    db,
    prefix,
    replicaDeps,
    async close() {
      for (const r of replicas) {
        await r.pubsub.dispose();
        await r.redis?.quit();
        await r.prisma.$disconnect();
      }
      await db.drop();
    },
  };
}

/**
 * Starts one subgraph on a free port and speaks to it as the gateway would, signing the
 * viewer with the shared secret. `request` fails loudly with the query and body when asked
 * to (`expectData`).
 */
export async function startSubgraph(
  label: string,
  create: (deps: ServiceDeps, options: { gatewaySecret: string; production: boolean }) => SubgraphServer,
) {
  const { deps, db, close } = await createTestDeps(label);
  const server = create(deps, { gatewaySecret: TEST_GATEWAY_SECRET, production: false });
  const url = await server.listen(0, '127.0.0.1');
  const sign = createForwardedUserSigner(TEST_GATEWAY_SECRET);

  async function request<T = any>(
    viewer: Viewer | null,
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<T>> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [FORWARDED_USER_HEADER]: await sign(viewer), ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as GraphQLResponse<T>;
    return { ...body, status: res.status };
  }

  async function expectData<T = any>(viewer: Viewer | null, query: string, variables?: Record<string, unknown>): Promise<T> {
    const res = await request<T>(viewer, query, variables);
    if (res.errors?.length || !res.data) {
      throw new Error(`Expected data.\nQuery: ${query}\nVariables: ${JSON.stringify(variables)}\nResponse: ${JSON.stringify(res, null, 2)}`);
    }
    return res.data;
  }

  return {
    url,
    deps,
    db,
    server,
    request,
    expectData,
    async close() {
      await server.close();
      await close();
    },
  };
}
