import type { Viewer } from '@commons/shared';

/** Per-operation state at the gateway; data sources forward `forwardedUser` to subgraphs. */
export interface GatewayContext {
  requestId: string;
  viewer: Viewer | null;
  /** The gateway-signed token a subgraph trusts (see shared/src/auth.ts). */
  forwardedUser: string;
  /**
   * Set on live events: their fetches always wait for the rest of the turn, whose other events
   * come in separate reads of their sockets, to share a batched request to a subgraph (see
   * ForwardingDataSource). With tracing on (batches per request), operations with the same scope
   * may share a batch; without one, each context is its own scope. Live events of one identity
   * resolved in the same turn share one, so their fetches cost one exchange.
   */
  batchScope?: object;
}
