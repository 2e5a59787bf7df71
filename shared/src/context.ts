import { randomUUID } from 'node:crypto';
import { ChannelAccess } from './access';
import type { AccessGrants } from './access-grant';
import type { Viewer } from './auth';
import type { PrismaClient } from './generated/prisma/client';
import { RequestMemo } from './graphql-http';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { PubSub } from './pubsub';
import type { Redis } from './redis';

/** What every service is built from: made once per process in index.ts, or per test. */
export interface ServiceDeps {
  prisma: PrismaClient;
  pubsub: PubSub;
  /** Commands (caches, rate limits); null in embedded mode, where in-memory stand-ins are used. */
  redis: Redis | null;
  logger: Logger;
  metrics: Metrics;
}

/** The part of every subgraph's per-operation context that does not depend on the subgraph. */
export interface BaseContext extends ServiceDeps {
  requestId: string;
  viewer: Viewer | null;
  access: ChannelAccess;
  /** Shared by every context of the HTTP request, whatever its caller: for loaders of caller-independent reads. */
  perRequest: RequestMemo;
  /**
   * Set for the gateway's admission check of a subscriber to a shared stream: the subscription
   * only answers whether the caller may follow it, and ends when they no longer may.
   */
  liveAdmission?: boolean;
}

/** `grants`: the subgraph's access grants (signed with the gateway secret); without, none are made or taken. */
export function createBaseContext(
  deps: ServiceDeps,
  viewer: Viewer | null,
  requestId?: string,
  grants?: AccessGrants,
  perRequest = new RequestMemo(),
): BaseContext {
  const id = requestId ?? randomUUID();
  return {
    ...deps,
    logger: deps.logger.child({ requestId: id }),
    requestId: id,
    viewer,
    access: new ChannelAccess(deps.prisma, viewer, grants),
    perRequest,
  };
}
