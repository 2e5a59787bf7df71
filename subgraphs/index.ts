import type { ServiceDeps, SubgraphServer } from '@commons/shared';
import type { SubgraphName } from '@commons/gateway/src/subgraphs';
import { createChannelSubgraph } from './channel/src/server';
import { createMessageSubgraph } from './message/src/server';

export type SubgraphFactory = (deps: ServiceDeps, options: { gatewaySecret: string; production: boolean }) => SubgraphServer;

/** Every subgraph in the composition, by name: what `npm start` and the test stack start. */
export const SUBGRAPH_FACTORIES: Record<SubgraphName, SubgraphFactory> = {
  channel: createChannelSubgraph,
  message: createMessageSubgraph,
};
