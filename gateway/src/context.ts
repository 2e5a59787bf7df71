import type { Viewer } from '@commons/shared';

/** Per-operation state at the gateway; data sources forward `forwardedUser` to subgraphs. */
export interface GatewayContext {
  requestId: string;
  viewer: Viewer | null;
  /** The gateway-signed token a subgraph trusts (see shared/src/auth.ts). */
  forwardedUser: string;
  /**
   * Set on live events, whose fetches wait for the rest of the turn (its other events come in
   * separate reads of their sockets) to share a batched request to a subgraph (see
   * ForwardingDataSource). Live events of one identity resolved in the same turn share one
   * scope; with tracing on, when batches do not span client requests, only operations of one
   * scope share a batch (without a scope, each context is its own).
   */
  batchScope?: object;
}
