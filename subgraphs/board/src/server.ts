import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { createSubgraphServer, type ServiceDeps, type SubgraphServer } from '@commons/shared';
import { parse } from 'graphql';
import { extendContext, type BoardContext } from './context';
import { resolvers } from './resolvers';

const typeDefs = parse(readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8'));

/** Builds (does not start) the board subgraph: threads and posts in FORUM channels. */
export function createBoardSubgraph(deps: ServiceDeps, options: { gatewaySecret: string; production: boolean }): SubgraphServer {
  return createSubgraphServer<BoardContext>({
    name: 'board',
    typeDefs,
    // The generated types are stricter than Apollo's map (typed parents and args); same shape.
    resolvers: resolvers as GraphQLResolverMap<BoardContext>,
    deps,
    extendContext,
    ...options,
  });
}
