import type { Viewer } from '@commons/shared';

/** Per-operation state at the gateway; data sources forward `forwardedUser` to subgraphs. */
export interface GatewayContext {
  requestId: string;
  viewer: Viewer | null;
  /** The gateway-signed token a subgraph trusts (see shared/src/auth.ts). */
  forwardedUser: string;
}
