import { createServiceDeps, stopOnSignals } from '@commons/shared';
import { createVoiceSubgraph } from './server';

async function main(): Promise<void> {
  const { config, deps, close } = createServiceDeps('voice');
  const server = createVoiceSubgraph(deps, { gatewaySecret: config.auth.gatewaySecret, production: config.production, config });
  // The server's close stops the sweeper too, before the connections close.
  stopOnSignals(deps.logger, [server, { close }]);
  const url = await server.listen(config.subgraphs.voice.port, config.subgraphHost);
  deps.logger.info({ url }, 'voice subgraph ready');
}

main().catch((err) => {
  // Before the server listens there is nothing to drain: report and exit.
  console.error(err);
  process.exit(1);
});
