// One Apollo Client per signed-in session: queries and mutations over HTTP with the token in
// `Authorization`, subscriptions over graphql-ws with the token in `connection_init`.
import { ApolloClient, ApolloLink, HttpLink } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient, type Client } from 'graphql-ws';
import { createCache } from './cache';

export type SocketState = 'idle' | 'connecting' | 'live' | 'offline';

/** The WebSocket's state, as a tiny store for useSyncExternalStore. */
export interface SocketStatus {
  get(): SocketState;
  subscribe(listener: () => void): () => void;
}

export interface Connection {
  client: ApolloClient;
  socket: Client;
  status: SocketStatus;
  dispose(): void;
}

export function connect(gatewayUrl: string, token: string): Connection {
  let state: SocketState = 'idle';
  const listeners = new Set<() => void>();
  const set = (next: SocketState) => {
    state = next;
    listeners.forEach((l) => l());
  };

  // No retries inside graphql-ws: when the socket drops, every subscription errors and
  // useLiveSubscription resubscribes with fresh variables (the newest cursor it has), which a
  // transparent graphql-ws retry would not do (it resends the original `after`).
  const socket = createClient({
    url: gatewayUrl.replace(/^http/, 'ws'),
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: true,
    retryAttempts: 0,
    keepAlive: 15_000,
    on: {
      connecting: () => set('connecting'),
      connected: () => set('live'),
      closed: () => set(state === 'live' || state === 'connecting' ? 'offline' : state),
    },
  });

  const http = new HttpLink({ uri: gatewayUrl, headers: { authorization: `Bearer ${token}` } });
  const link = ApolloLink.split((op) => op.operationType === 'subscription', new GraphQLWsLink(socket), http);
  const client = new ApolloClient({ link, cache: createCache() });

  return {
    client,
    socket,
    status: {
      get: () => state,
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    dispose() {
      client.stop();
      void socket.dispose();
    },
  };
}
