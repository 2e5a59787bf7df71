import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { createRateLimiter, createSubgraphServer, loadConfig, type Config, type ServiceDeps, type SubgraphServer } from '@commons/shared';
import { parse } from 'graphql';
import { contextExtender, type MessageContext } from './context';
import { createMessagePageCache, type CacheStats } from './domain/messageCache';
import { createTypingThrottle } from './domain/typing';
import { resolvers } from './resolvers';

const typeDefs = parse(readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8'));

export interface MessageSubgraphOptions {
  gatewaySecret: string;
  production: boolean;
  /** The sendMessage rate limit is read from `config.rateLimits`; without it, the defaults. */
  config?: Config;
}

export interface MessageSubgraph extends SubgraphServer {
  /** This process's hits and misses of the latest-page cache (also in /metrics as cache_requests_total). */
  cacheStats(): CacheStats;
}

/** Builds (does not start) the message subgraph. */
export function createMessageSubgraph(deps: ServiceDeps, options: MessageSubgraphOptions): MessageSubgraph {
  const { rateLimits } = options.config ?? loadConfig({});
  const messageCache = createMessagePageCache(deps);
  const server = createSubgraphServer<MessageContext>({
    name: 'message',
    typeDefs,
    // The generated types are stricter than Apollo's map (typed parents and args); same shape.
    resolvers: resolvers as GraphQLResolverMap<MessageContext>,
    deps,
    extendContext: contextExtender({
      messageCache,
      sendLimiter: createRateLimiter(deps.redis, { name: 'send-message', ...rateLimits.sendMessage }),
      typingThrottle: createTypingThrottle(deps.redis),
    }),
    gatewaySecret: options.gatewaySecret,
    production: options.production,
  });
  return Object.assign(server, { cacheStats: () => messageCache.stats() });
}
