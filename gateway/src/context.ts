import type { Viewer } from '@commons/shared';

/** Per-operation state at the gateway; data sources forward `forwardedUser` to subgraphs. */
export interface GatewayContext {
  requestId: string;
  viewer: Viewer | null;
  /** The gateway-signed token a subgraph trusts (see shared/src/auth.ts). */
  forwardedUser: string;
  /**
   * Operations with the same scope may share a batched request to a subgraph (see
   * ForwardingDataSource); without one, each context is its own scope. Live events of one
   * identity resolved in the same turn share one, so their fetches cost one exchange.
   */
  batchScope?: object;
}
