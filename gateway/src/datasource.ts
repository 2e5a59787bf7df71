import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { FORWARDED_USER_HEADER, type Metrics } from '@commons/shared';
import { GraphQLError } from 'graphql';
import { Agent, fetch } from 'undici';
import type { GatewayContext } from './context';

/**
 * Keep-alive HTTP to subgraphs with a deadline: stock @apollo/gateway has no timeout, so a
 * frozen subgraph would hang every request that touches it.
 */
export function createSubgraphFetcher(timeoutMs: number): Fetcher {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 128, pipelining: 1 });
  return ((url: string, init: Record<string, unknown>) =>
    fetch(url, { ...init, dispatcher: agent, signal: AbortSignal.timeout(timeoutMs) } as never)) as unknown as Fetcher;
}

/** Forwards the verified caller (signed by the gateway) and the request id to a subgraph. */
export class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly subgraphName: string;
  private readonly metrics: Metrics;

  constructor(options: { url: string; fetcher: Fetcher; subgraphName: string; metrics: Metrics }) {
    super({ url: options.url, fetcher: options.fetcher });
    this.subgraphName = options.subgraphName;
    this.metrics = options.metrics;
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const timer = this.metrics.subgraphFetch.startTimer({ subgraph: this.subgraphName });
    try {
      const response = await super.process(options);
      timer({ outcome: response.errors?.length ? 'error' : 'ok' });
      return response;
    } catch (err) {
      timer({ outcome: 'failed' });
      throw err;
    }
  }

  willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    if (!context?.forwardedUser) return;
    request.http?.headers.set(FORWARDED_USER_HEADER, context.forwardedUser);
    request.http?.headers.set('x-request-id', context.requestId);
  }

  /** A failed subgraph reaches clients as a generic error, never with its URL or body. */
  async errorFromResponse(response: { status: number }): Promise<GraphQLError> {
    return new GraphQLError(`A service failed to answer (${response.status})`, {
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  }
}
