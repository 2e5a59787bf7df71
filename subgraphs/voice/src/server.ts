import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { createRateLimiter, createSubgraphServer, loadConfig, type Config, type ServiceDeps, type SubgraphServer } from '@commons/shared';
import { parse } from 'graphql';
import { contextExtender, type VoiceContext } from './context';
import { createSweeper } from './domain/sweeper';
import { resolvers } from './resolvers';

const typeDefs = parse(readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8'));

export interface VoiceSubgraphOptions {
  gatewaySecret: string;
  production: boolean;
  /** The voice settings are read from `config.voice`; without it, the defaults. */
  config?: Config;
}

/**
 * Builds (does not start) the voice subgraph. Listening also starts its sweeper, which
 * removes seats without a heartbeat; closing stops the sweeper first.
 */
export function createVoiceSubgraph(deps: ServiceDeps, options: VoiceSubgraphOptions): SubgraphServer {
  const settings = (options.config ?? loadConfig({})).voice;
  const signalLimiter = createRateLimiter(deps.redis, { name: 'voice-signal', ...settings.signalRateLimit });
  const server = createSubgraphServer<VoiceContext>({
    name: 'voice',
    typeDefs,
    // The generated types are stricter than Apollo's map (typed parents and args); same shape.
    resolvers: resolvers as GraphQLResolverMap<VoiceContext>,
    deps,
    extendContext: contextExtender(settings, signalLimiter),
    gatewaySecret: options.gatewaySecret,
    production: options.production,
  });
  const sweeper = createSweeper(deps, settings);
  return {
    name: server.name,
    schema: server.schema,
    httpServer: server.httpServer,
    async listen(port, host) {
      const url = await server.listen(port, host);
      sweeper.start();
      return url;
    },
    async close() {
      await sweeper.stop();
      await server.close();
    },
  };
}
