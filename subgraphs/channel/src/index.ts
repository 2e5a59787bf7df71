import { createServiceDeps, stopOnSignals } from '@commons/shared';
import { createChannelSubgraph } from './server';

async function main(): Promise<void> {
  const { config, deps, close } = createServiceDeps('channel');
  const server = createChannelSubgraph(deps, { gatewaySecret: config.auth.gatewaySecret, production: config.production });
  try {
    const url = await server.listen(config.subgraphs.channel.port, config.subgraphHost);
    deps.logger.info({ url }, 'channel subgraph listening');
  } catch (err) {
    // Open database and Redis connections would keep a failed process alive.
    await close();
    throw err;
  }
  // The server first (it drains in-flight requests), then the connections it uses.
  stopOnSignals(deps.logger, [server, { close }]);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
