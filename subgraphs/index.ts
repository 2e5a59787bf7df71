import type { Config, ServiceDeps, SubgraphServer } from '@commons/shared';
import type { SubgraphName } from '@commons/gateway/src/subgraphs';
import { createBoardSubgraph } from './board/src/server';
import { createChannelSubgraph } from './channel/src/server';
import { createMessageSubgraph } from './message/src/server';
import { createVoiceSubgraph } from './voice/src/server';

export interface SubgraphOptions {
  gatewaySecret: string;
  production: boolean;
  /** The whole configuration, for subgraphs with settings of their own (voice); defaults without it. */
  config?: Config;
}

export type SubgraphFactory = (deps: ServiceDeps, options: SubgraphOptions) => SubgraphServer;

/** Every subgraph in the composition, by name: what `npm start` and the test stack start. */
export const SUBGRAPH_FACTORIES: Record<SubgraphName, SubgraphFactory> = {
  channel: createChannelSubgraph,
  message: createMessageSubgraph,
  board: createBoardSubgraph,
  voice: createVoiceSubgraph,
};
