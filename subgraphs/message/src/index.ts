import { createServiceDeps, stopOnSignals } from '@commons/shared';
import { createMessageSubgraph } from './server';

async function main(): Promise<void> {
  const { config, deps, close } = createServiceDeps('message');
  const server = createMessageSubgraph(deps, { gatewaySecret: config.auth.gatewaySecret, production: config.production, config });
  stopOnSignals(deps.logger, [server, { close }]);
  const url = await server.listen(config.subgraphs.message.port, config.subgraphHost);
  deps.logger.info({ url }, 'message subgraph ready');
}

main().catch((err) => {
  // Before the server listens there is nothing to drain: report and exit.
  console.error(err);
  process.exit(1);
});
