// `npm start`: the whole stack in one process. Without DATABASE_URL it serves an embedded
// Postgres (PGlite) from DATA_DIR; without REDIS_URL it uses an in-process pub/sub.
import {
  createLogger,
  createMetrics,
  createPrisma,
  createPubSub,
  createRedis,
  loadConfig,
  stopOnSignals,
  type Stoppable,
} from '@commons/shared';
import { startEmbeddedPostgres } from '@commons/shared/src/db/embedded';
import { ensureDatabase, migrate } from '@commons/shared/src/db/migrate';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createGateway } from '@commons/gateway/src/server';
import { SUBGRAPH_NAMES } from '@commons/gateway/src/subgraphs';
import { SUBGRAPH_FACTORIES } from '../subgraphs';

async function main() {
  const config = loadConfig();
  const logger = createLogger('commons', config.logLevel);
  const stoppables: Stoppable[] = [];

  let databaseUrl = config.databaseUrl;
  if (databaseUrl) {
    await ensureDatabase(databaseUrl);
  } else {
    const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, logger });
    databaseUrl = embedded.url;
    logger.info({ dataDir: config.dataDir }, 'embedded Postgres (PGlite) started');
    stoppables.push(embedded);
  }
  const ran = await migrate(databaseUrl);
  if (ran.length) logger.info({ ran }, 'migrations applied');

  // The embedded server runs every connection in one session: no named statements there.
  const prisma = createPrisma({ url: databaseUrl, ...config.db, preparedStatements: config.db.preparedStatements && Boolean(config.databaseUrl) });
  const pubsub = createPubSub({ redisUrl: config.redisUrl, logger });
  const redis = config.redisUrl ? createRedis(config.redisUrl, logger) : null;
  const metrics = createMetrics();
  // Closed after the servers (the list is stopped in reverse order of start).
  stoppables.unshift({
    close: async () => {
      await pubsub.dispose();
      await redis?.quit().catch(() => {});
      await prisma.$disconnect();
    },
  });

  const options = { gatewaySecret: config.auth.gatewaySecret, production: config.production, config };
  const subgraphUrls: Record<string, string> = {};
  for (const name of SUBGRAPH_NAMES) {
    const subgraph = SUBGRAPH_FACTORIES[name]({ prisma, pubsub, redis, metrics, logger: logger.child({ service: name }) }, options);
    subgraphUrls[name] = await subgraph.listen(config.subgraphs[name].port, config.subgraphHost);
    stoppables.unshift(subgraph);
  }

  const gateway = createGateway({ config, logger: logger.child({ service: 'gateway' }), subgraphUrls, redis, metrics });
  const url = await gateway.listen(config.gateway.port, config.gateway.host);
  stoppables.unshift(gateway);

  logger.info({ subgraphs: subgraphUrls, redis: config.redisUrl ? 'redis' : 'in-process' }, 'subgraphs ready');
  const web = existsSync(path.resolve(__dirname, '../web/dist/index.html')) && !config.production
    ? `the demo web client is at ${new URL('/', url)}`
    : 'the demo web client: `npm run build:web` (then restart, and it is served here at /), or `npm run web` for its dev server on :5173';
  console.log(
    `\n  Gateway ready at ${url}\n  Open it in a browser for Apollo Sandbox; get a token with: npm run -s token -- alice "Alice"` +
      `\n  ${web}\n`,
  );
  stopOnSignals(logger, stoppables);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
