import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, type ServiceDeps, type SubgraphServer } from '@commons/shared';
import { extendContext, type ChannelContext } from './context';
import { ViewerProfiles } from './domain/users';
import { resolvers } from './resolvers';

const typeDefs = parse(readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8'));

/** Builds (does not start) the channel subgraph: users, channels and memberships. */
export function createChannelSubgraph(deps: ServiceDeps, options: { gatewaySecret: string; production: boolean }): SubgraphServer {
  const profiles = new ViewerProfiles(deps.prisma);
  return createSubgraphServer<ChannelContext>({
    name: 'channel',
    typeDefs,
    resolvers,
    deps,
    gatewaySecret: options.gatewaySecret,
    production: options.production,
    extendContext: (base) => extendContext(base, profiles),
  });
}
