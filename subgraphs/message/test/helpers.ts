import { randomUUID } from 'node:crypto';
import { createForwardedUserSigner, FORWARDED_USER_HEADER, loadConfig, type PubSub, type Viewer } from '@commons/shared';
import type { PrismaClient } from '@commons/shared/src/generated/prisma/client';
import type { ChannelVisibility, MemberRole } from '@commons/shared/src/generated/prisma/enums';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { startSubgraph, TEST_GATEWAY_SECRET } from '../../../tests/testkit/subgraph';
import { createMessageSubgraph, type MessageSubgraph } from '../src/server';

export const MESSAGE_FIELDS = 'id body clientId cursor createdAt channel { id } author { id } replyTo { id }';
export const codeOf = (res: { errors?: ReadonlyArray<{ extensions?: Record<string, any> }> }) => res.errors?.[0]?.extensions?.code;

/**
 * The message subgraph on real Postgres and Redis, with two test seams: a Prisma client that
 * counts the queries it runs, and a pub/sub that tells when a subscriber is listening.
 */
export async function startMessageSubgraph(label: string, env: Record<string, string> = {}) {
  const queries = { count: 0 };
  const observed = { subscribed: new Map<string, number>(), open: new Map<string, number>() };
  let server: MessageSubgraph;
  const bump = (map: Map<string, number>, topic: string, by: number) => map.set(topic, (map.get(topic) ?? 0) + by);
  const subgraph = await startSubgraph(label, (deps, options) => {
    const prisma = deps.prisma.$extends({
      query: { $allOperations: ({ args, query }) => (queries.count++, query(args)) },
    }) as unknown as PrismaClient;
    const pubsub: PubSub = {
      publish: (topic, payload) => deps.pubsub.publish(topic, payload),
      ping: () => deps.pubsub.ping(),
      dispose: () => deps.pubsub.dispose(),
      async subscribe<T>(topic: string) {
        const queue = await deps.pubsub.subscribe<T>(topic);
        bump(observed.subscribed, topic, 1);
        bump(observed.open, topic, 1);
        const close = queue.close;
        let counted = false;
        queue.close = () => {
          if (!counted) bump(observed.open, topic, -1);
          counted = true;
          close();
        };
        return queue;
      },
    };
    server = createMessageSubgraph({ ...deps, prisma, pubsub }, { ...options, config: loadConfig(env) });
    return server;
  });
  return { ...subgraph, queries, observed, cacheStats: () => server.cacheStats() };
}

export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// ---------------------------------------------------------------- data builders (unique per call)

export async function createUser(prisma: PrismaClient): Promise<Viewer> {
  const id = `user-${randomUUID()}`;
  await prisma.user.create({ data: { id, handle: id.slice(0, 20), displayName: 'Test User' } });
  return { id };
}

export async function createChannel(
  prisma: PrismaClient,
  options: { visibility?: ChannelVisibility; archived?: boolean; members?: Viewer[]; role?: MemberRole } = {},
): Promise<string> {
  const members = options.members ?? [];
  const channel = await prisma.channel.create({
    data: {
      name: `channel-${randomUUID().slice(0, 8)}`,
      kind: 'TEXT',
      visibility: options.visibility ?? 'PUBLIC',
      createdById: members[0]?.id ?? 'nobody',
      archivedAt: options.archived ? new Date() : null,
      memberCount: members.length,
    },
  });
  for (const member of members) await addMember(prisma, channel.id, member, options.role);
  return channel.id;
}

export async function addMember(prisma: PrismaClient, channelId: string, user: Viewer, role: MemberRole = 'MEMBER') {
  await prisma.membership.create({ data: { channelId, userId: user.id, role } });
}

// ---------------------------------------------------------------- graphql-ws, as the gateway speaks it

const sign = createForwardedUserSigner(TEST_GATEWAY_SECRET);

export function createWsClient(httpUrl: string): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: async () => ({ [FORWARDED_USER_HEADER]: await sign(null) }),
    retryAttempts: 0,
  });
}

export type Event = FormattedExecutionResult<Record<string, any>, unknown>;

export interface Subscription {
  events: Event[];
  readonly error: unknown;
  readonly completed: boolean;
  /** Resolves once `count` events have arrived (or the stream ended); fails loudly after a timeout. */
  nextEvents(count: number): Promise<Event[]>;
  unsubscribe(): void;
}

export async function subscribe(
  client: Client,
  viewer: Viewer | null,
  query: string,
  variables: Record<string, unknown>,
): Promise<Subscription> {
  const events: Event[] = [];
  let error: unknown;
  let completed = false;
  const unsubscribe = client.subscribe(
    { query, variables, extensions: { [FORWARDED_USER_HEADER]: await sign(viewer) } },
    {
      next: (result) => void events.push(result),
      error: (err) => void (error = err),
      complete: () => void (completed = true),
    },
  );
  return {
    events,
    get error() {
      return error;
    },
    get completed() {
      return completed;
    },
    async nextEvents(count) {
      await waitFor(() => events.length >= count || completed || error !== undefined, `${count} events`).catch((err) => {
        throw new Error(`${(err as Error).message}; got ${JSON.stringify(events)}\nQuery: ${query}`);
      });
      return events.slice(0, count);
    },
    unsubscribe,
  };
}
