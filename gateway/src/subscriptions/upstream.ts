import { FORWARDED_USER_HEADER, LIVE_MARKER_EXTENSION, type Logger } from '@commons/shared';
import type { ExecutionResult } from 'graphql';
import { createClient, type Client, type Sink } from 'graphql-ws';
import WebSocket from 'ws';

export interface UpstreamOperation {
  query: string;
  operationName?: string;
  variables: Record<string, unknown>;
  /** The gateway-signed caller, checked by the subgraph per operation. */
  forwardedUser: string;
}

/**
 * One multiplexed graphql-ws connection per subgraph, opened on demand. The connection
 * does not retry by itself: when it drops, every subscription on it errors, and the hub
 * tells its clients to resubscribe (with `after:` to catch up), so nobody is left
 * subscribed to nothing and nothing is silently skipped.
 */
export class UpstreamSockets {
  private readonly clients = new Map<string, Client>();

  constructor(
    private readonly urls: Record<string, string>,
    private readonly signGateway: () => Promise<string>,
    private readonly logger: Logger,
  ) {}

  subscribe(service: string, operation: UpstreamOperation, sink: Sink<ExecutionResult>): () => void {
    return this.client(service).subscribe(
      {
        query: operation.query,
        operationName: operation.operationName,
        variables: operation.variables,
        extensions: { [FORWARDED_USER_HEADER]: operation.forwardedUser, [LIVE_MARKER_EXTENSION]: true },
      },
      sink,
    );
  }

  private client(service: string): Client {
    let client = this.clients.get(service);
    if (client) return client;
    const httpUrl = this.urls[service];
    if (!httpUrl) throw new Error(`No URL for subgraph ${service}`);
    client = createClient({
      url: httpUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      lazy: true,
      lazyCloseTimeout: 2000,
      retryAttempts: 0,
      keepAlive: 10_000,
      connectionParams: async () => ({ [FORWARDED_USER_HEADER]: await this.signGateway() }),
      on: {
        closed: (event) => this.logger.debug({ service, code: (event as { code?: number })?.code }, 'upstream socket closed'),
        error: (err) => this.logger.warn({ service, err: (err as Error)?.message ?? String(err) }, 'upstream socket error'),
      },
    });
    this.clients.set(service, client);
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.dispose()));
    this.clients.clear();
  }
}
