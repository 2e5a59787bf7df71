// `npm run start:gateway`: the gateway alone, in front of subgraphs at their configured URLs.
import { createLogger, createMetrics, createRedis, loadConfig, stopOnSignals } from '@commons/shared';
import { createGateway } from './server';
import { subgraphUrlsFromConfig } from './subgraphs';

async function main() {
  const config = loadConfig();
  const logger = createLogger('gateway', config.logLevel);
  const redis = config.redisUrl ? createRedis(config.redisUrl, logger, 'gateway') : null;
  const gateway = createGateway({ config, logger, subgraphUrls: subgraphUrlsFromConfig(config), redis, metrics: createMetrics() });
  const url = await gateway.listen(config.gateway.port, config.gateway.host);
  logger.info({ url }, 'gateway ready');
  stopOnSignals(logger, [gateway, { close: async () => void (await redis?.quit()) }]);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
