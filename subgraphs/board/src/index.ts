import { createServiceDeps, stopOnSignals } from '@commons/shared';
import { createBoardSubgraph } from './server';

async function main(): Promise<void> {
  const { config, deps, close } = createServiceDeps('board');
  const server = createBoardSubgraph(deps, { gatewaySecret: config.auth.gatewaySecret, production: config.production });
  stopOnSignals(deps.logger, [server, { close }]);
  const url = await server.listen(config.subgraphs.board.port, config.subgraphHost);
  deps.logger.info({ url }, 'board subgraph ready');
}

main().catch((err) => {
  // Before the server listens there is nothing to drain: report and exit.
  console.error(err);
  process.exit(1);
});
