import { randomUUID } from 'node:crypto';
import { createForwardedUserSigner, FORWARDED_USER_HEADER, type PubSub, type Viewer } from '@commons/shared';
import type { PrismaClient } from '@commons/shared/src/generated/prisma/client';
import type { ChannelKind, ChannelVisibility, MemberRole } from '@commons/shared/src/generated/prisma/enums';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startSubgraph, TEST_GATEWAY_SECRET } from '../../../tests/testkit/subgraph';
import { createBoardSubgraph } from '../src/server';

/**
 * The board subgraph on real Postgres and Redis, with two test seams: a Prisma client that
 * counts the queries it runs (raw ones included), and a pub/sub that counts open subscriptions.
 */
export async function startBoardSubgraph(label: string) {
  const queries = { count: 0 };
  const open = new Map<string, number>();
  const bump = (topic: string, by: number) => open.set(topic, (open.get(topic) ?? 0) + by);
  const subgraph = await startSubgraph(label, (deps, options) => {
    const prisma = deps.prisma.$extends({
      query: {
        $allModels: { $allOperations: ({ args, query }) => (queries.count++, query(args)) },
        $queryRaw: ({ args, query }) => (queries.count++, query(args)),
      },
    }) as unknown as PrismaClient;
    const pubsub: PubSub = {
      publish: (topic, payload) => deps.pubsub.publish(topic, payload),
      ping: () => deps.pubsub.ping(),
      dispose: () => deps.pubsub.dispose(),
      async subscribe<T>(topic: string) {
        const queue = await deps.pubsub.subscribe<T>(topic);
        bump(topic, 1);
        // Released by close() or by return() (what graphql-js calls when a client unsubscribes).
        let counted = false;
        const release = () => {
          if (!counted) bump(topic, -1);
          counted = true;
        };
        const close = queue.close;
        const end = queue.return!.bind(queue);
        queue.close = () => (release(), close());
        queue.return = (value?: unknown) => (release(), end(value));
        return queue;
      },
    };
    return createBoardSubgraph({ ...deps, prisma, pubsub }, options);
  });
  return { ...subgraph, queries, open };
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
  options: { kind?: ChannelKind; visibility?: ChannelVisibility; members?: Viewer[]; role?: MemberRole } = {},
): Promise<string> {
  const members = options.members ?? [];
  const channel = await prisma.channel.create({
    data: {
      name: `forum-${randomUUID().slice(0, 8)}`,
      kind: options.kind ?? 'FORUM',
      visibility: options.visibility ?? 'PUBLIC',
      createdById: members[0]?.id ?? 'nobody',
      memberCount: members.length,
    },
  });
  for (const member of members) {
    await prisma.membership.create({ data: { channelId: channel.id, userId: member.id, role: options.role ?? 'MEMBER' } });
  }
  return channel.id;
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

export async function subscribeAs(client: Client, viewer: Viewer | null, query: string, variables: Record<string, unknown>) {
  const events: Array<{ data?: any; errors?: readonly any[] }> = [];
  let ended = false;
  const unsubscribe = client.subscribe(
    { query, variables, extensions: { [FORWARDED_USER_HEADER]: await sign(viewer) } },
    {
      next: (result) => void events.push(result),
      error: (err) => {
        ended = true;
        events.push({ errors: Array.isArray(err) ? err : [err] });
      },
      complete: () => void (ended = true),
    },
  );
  return {
    events,
    get ended() {
      return ended;
    },
    async next(count: number) {
      await waitFor(() => events.length >= count || ended, `${count} events`);
      return events;
    },
    unsubscribe,
  };
}
