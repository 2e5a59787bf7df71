import { createForwardedUserSigner, FORWARDED_USER_HEADER, type PubSub, type Viewer } from '@commons/shared';
import type { PrismaClient } from '@commons/shared/src/generated/prisma/client';
import type { Client } from 'graphql-ws';
import { createChannel as buildChannel, waitFor, type ChannelOptions } from '../../../tests/testkit/builders';
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

export { createUser, createWsClient, waitFor } from '../../../tests/testkit/builders';

/** Channels here are FORUM channels unless a test says otherwise. */
export const createChannel = (prisma: PrismaClient, options: ChannelOptions = {}) => buildChannel(prisma, { kind: 'FORUM', ...options });

// ---------------------------------------------------------------- graphql-ws, as the gateway speaks it

const sign = createForwardedUserSigner(TEST_GATEWAY_SECRET);


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
