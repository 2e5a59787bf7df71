import { createForwardedUserSigner, FORWARDED_USER_HEADER, loadConfig, type PubSub, type Viewer } from '@commons/shared';
import type { Client, FormattedExecutionResult } from 'graphql-ws';
import { countStatements, waitFor } from '../../../tests/testkit/builders';
import { startSubgraph, TEST_GATEWAY_SECRET } from '../../../tests/testkit/subgraph';
import { createMessageSubgraph, type MessageSubgraph } from '../src/server';

export const MESSAGE_FIELDS = 'id body clientId cursor createdAt channel { id } author { id } replyTo { id }';
export const codeOf = (res: { errors?: ReadonlyArray<{ extensions?: Record<string, any> }> }) => res.errors?.[0]?.extensions?.code;

/**
 * The message subgraph on real Postgres and Redis, with two test seams: a count of the SQL
 * statements it sends (see countStatements), and a pub/sub that tells when a subscriber is listening.
 */
export async function startMessageSubgraph(label: string, env: Record<string, string> = {}) {
  const queries = { count: 0 };
  const observed = { subscribed: new Map<string, number>(), open: new Map<string, number>() };
  let server: MessageSubgraph;
  const bump = (map: Map<string, number>, topic: string, by: number) => map.set(topic, (map.get(topic) ?? 0) + by);
  const subgraph = await startSubgraph(label, (deps, options) => {
    countStatements(deps.prisma, queries);
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
    server = createMessageSubgraph({ ...deps, pubsub }, { ...options, config: loadConfig(env) });
    return server;
  });
  return { ...subgraph, queries, observed, cacheStats: () => server.cacheStats() };
}

export { addMember, createChannel, createUser, createWsClient, waitFor } from '../../../tests/testkit/builders';

// ---------------------------------------------------------------- graphql-ws, as the gateway speaks it

const sign = createForwardedUserSigner(TEST_GATEWAY_SECRET);


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
