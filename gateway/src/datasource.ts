import type { IncomingHttpHeaders } from 'node:http';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse as GraphQLResponse } from '@apollo/server-gateway-interface';
import type { Fetcher, FetcherRequestInit } from '@apollo/utils.fetcher';
import { FORWARDED_USER_HEADER, groupPositions, MAX_SUBGRAPH_BATCH, REQUEST_ID_HEADER, type Metrics } from '@commons/shared';
import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import { Agent, type Dispatcher } from 'undici';
import type { GatewayContext } from './context';

/**
 * A subgraph's answer, read whole: the part of a fetch Response a data source reads (`ok`,
 * `status`, `statusText`, `url`, `headers.get`, `text`, `json`), without WHATWG
 * fetch's Request/Response machinery, which cost more CPU per fetch than the gateway's own work.
 */
class SubgraphResponse {
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    headers: IncomingHttpHeaders,
    private readonly body: string,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = {
      get: (name) => {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    };
  }

  async text(): Promise<string> {
    return this.body;
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.body);
  }
}

/**
 * Collects one subgraph answer whole, straight from undici's dispatcher: `request()` would wrap
 * it in a body stream, an async resource and a consumer, which cost more per fetch than the
 * few chunks of a subgraph's JSON answer. Settles once: with the answer, an error, or the
 * deadline (which also aborts the exchange, whether it is still queued or on a socket).
 */
class AnswerCollector implements Dispatcher.DispatchHandler {
  private controller?: Dispatcher.DispatchController;
  private abortedWith?: Error;
  private settled = false;
  private status = 0;
  private statusText = '';
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];

  constructor(
    private readonly url: string,
    private readonly resolve: (response: SubgraphResponse) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortedWith) controller.abort(this.abortedWith);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    this.status = statusCode;
    this.headers = headers;
    this.statusText = statusMessage ?? '';
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    const body = this.chunks.length === 1 ? this.chunks[0].toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
    this.resolve(new SubgraphResponse(this.url, this.status, this.statusText, this.headers, body));
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.fail(err);
  }

  abort(reason: Error): void {
    this.abortedWith = reason;
    this.controller?.abort(reason);
    this.fail(reason);
  }

  private fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(err);
  }
}

/**
 * Keep-alive HTTP to subgraphs with a deadline: stock @apollo/gateway has no timeout, so a
 * frozen subgraph would hang every request that touches it. The deadline covers the whole
 * exchange (queueing for a socket, connecting, headers and body), and the body is read before
 * the response is handed on, so an error status or an abort never leaves a socket half-read.
 */
export function createSubgraphFetcher(timeoutMs: number): Fetcher & { close(): Promise<void> } {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 128, pipelining: 1 });
  // A gateway has a handful of subgraph URLs: each is split into origin and path once.
  const targets = new Map<string, { origin: string; path: string }>();
  const targetOf = (url: string) => {
    let target = targets.get(url);
    if (!target) {
      const { origin, pathname, search } = new URL(url);
      targets.set(url, (target = { origin, path: pathname + search }));
    }
    return target;
  };
  const fetchSubgraph = (url: string, init: FetcherRequestInit = {}): Promise<SubgraphResponse> =>
    new Promise((resolve, reject) => {
      const collector = new AnswerCollector(
        url,
        (response) => {
          clearTimeout(timer);
          resolve(response);
        },
        (err) => {
          clearTimeout(timer);
          reject(err);
        },
      );
      const timer = setTimeout(
        () => collector.abort(Object.assign(new Error(`The subgraph did not answer within ${timeoutMs} ms`), { name: 'TimeoutError' })),
        timeoutMs,
      );
      try {
        const { origin, path } = targetOf(url);
        const method = (init.method ?? 'POST') as Dispatcher.HttpMethod;
        agent.dispatch({ origin, path, method, headers: init.headers as Record<string, string>, body: init.body as string | undefined }, collector);
      } catch (err) {
        collector.abort(err as Error);
      }
    });
  // The data source reads no more of a response than SubgraphResponse has (see above).
  return Object.assign(fetchSubgraph as unknown as Fetcher, { close: () => agent.close() });
}

/**
 * @apollo/gateway sends one representation per list item, so the 50 messages of a page by 3
 * people ask the users' subgraph for 50 users. Each distinct entity is sent once here and the
 * answer is spread back over the positions the gateway expects (a copy for each repeat, since
 * the gateway merges into what it receives), with errors on `_entities.<i>` repeated per position.
 * Undefined when there is nothing to save.
 */
export function dedupeRepresentations(representations: unknown) {
  if (!Array.isArray(representations) || representations.length < 2) return undefined;
  const indexOf = new Map<string, number>();
  const unique: unknown[] = [];
  const positions = representations.map((representation) => {
    const key = JSON.stringify(representation);
    let index = indexOf.get(key);
    if (index === undefined) {
      index = unique.push(representation) - 1;
      indexOf.set(key, index);
    }
    return index;
  });
  if (unique.length === representations.length) return undefined;
  return {
    unique,
    expand(response: GraphQLResponse): GraphQLResponse {
      const entities = response.data?._entities;
      if (!Array.isArray(entities) || entities.length !== unique.length) return response;
      const seen = new Set<number>();
      const expanded = positions.map((index) => {
        if (!seen.has(index)) {
          seen.add(index);
          return entities[index];
        }
        return entities[index] == null ? entities[index] : structuredClone(entities[index]);
      });
      const errors = response.errors?.flatMap((error) => {
        const [root, index, ...rest] = error.path ?? [];
        if (root !== '_entities' || typeof index !== 'number') return [error];
        return positions.flatMap((at, position) => (at === index ? [{ ...error, path: [root, position, ...rest] }] : []));
      });
      return { ...response, data: { ...response.data, _entities: expanded }, ...(errors ? { errors } : {}) };
    },
  };
}

/** One fetch's JSON body, as a subgraph receives it alone or as one element of a batch. */
interface SubgraphOperation {
  query: string;
  operationName?: string;
  variables?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
}

/** A query on its way into a batch, with the caller and request id it goes with. */
interface BatchedFetch {
  operation: SubgraphOperation;
  headers: Record<string, string>;
  caller?: string;
  requestId?: string;
}

/**
 * Sends the gateway's fetches to one subgraph with the verified caller (signed by the gateway)
 * and the request id. It does what RemoteGraphQLDataSource does for this gateway (no APQ to
 * subgraphs, no cache-control hints, a JSON body) without its per-fetch node-fetch Headers and
 * Request objects, which cost more than the rest of a small fetch.
 *
 * Queries go to a subgraph in batched HTTP requests, Apollo Server's JSON array, as Apollo
 * Router's subgraph batching does: the gateway and the subgraph handle one HTTP exchange instead
 * of several, and the subgraph runs the operations of one caller with one context, so its
 * DataLoaders answer them with one statement. With `acrossRequests` (the default), while the
 * subgraph is busy with earlier ones, a batch holds the queries of every client request that
 * reach this subgraph in the same turn of the event loop (gathered until its check phase), each
 * naming its own caller and request id in its extensions when they are not all one caller's;
 * under concurrent load that is what saves the most. Without it (tracing on: a batch's HTTP
 * request belongs to one request's trace), a batch holds one client request's queries of one
 * tick (the fetches of one parallel step of its plan, such as a page's message authors and reply
 * authors), or the live events of one batch scope.
 * A subgraph that refuses batches (400, batching off) gets each operation alone from then on; one
 * that takes its caller only from the header (401 for a batch of several callers, before running
 * any of it) gets a batch per caller from then on.
 */
export class ForwardingDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly url: string;
  private readonly fetcher: Fetcher;
  private readonly subgraphName: string;
  private readonly metrics: Metrics;
  private batching = true;
  private readonly acrossRequests: boolean;
  private acrossCallers = true;
  /** With acrossRequests: the batches of this subgraph's queries now gathering, until the check phase or for this tick. */
  private turnBatch?: DataLoader<BatchedFetch, GraphQLResponse>;
  private tickBatch?: DataLoader<BatchedFetch, GraphQLResponse>;
  /** HTTP exchanges with the subgraph under way. */
  private inFlight = 0;
  /** Without acrossRequests, per client request (its context, or its batch scope): the batch now gathering. */
  private readonly batches = new WeakMap<object, DataLoader<SubgraphOperation, GraphQLResponse>>();

  constructor(options: { url: string; fetcher: Fetcher; subgraphName: string; metrics: Metrics; acrossRequests?: boolean }) {
    ({ url: this.url, fetcher: this.fetcher, subgraphName: this.subgraphName, metrics: this.metrics } = options);
    this.acrossRequests = options.acrossRequests ?? true;
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GraphQLResponse> {
    const timer = this.metrics.subgraphFetch.startTimer({ subgraph: this.subgraphName });
    try {
      const deduped = dedupeRepresentations(options.request.variables?.representations);
      const response = deduped ? deduped.expand(await this.send(options, deduped.unique)) : await this.send(options);
      timer({ outcome: response.errors?.length ? 'error' : 'ok' });
      return response;
    } catch (err) {
      timer({ outcome: 'failed' });
      throw err;
    }
  }

  private send(options: GraphQLDataSourceProcessOptions<GatewayContext>, representations?: unknown[]): Promise<GraphQLResponse> {
    const { request } = options;
    const context = options.context as GatewayContext | undefined;
    if (!request.query) throw new Error('Missing query');
    const operation: SubgraphOperation = {
      query: request.query,
      operationName: request.operationName,
      variables: representations ? { ...request.variables, representations } : request.variables,
      extensions: request.extensions,
    };
    const headers = headersFor(request.http?.headers, context);
    // Only queries: a mutation's fields must run in the order the plan sends them.
    if (!this.batching || !context || !request.query.startsWith('query')) return this.post(headers, operation);
    if (this.acrossRequests) {
      const fetch = { operation, headers, caller: context.forwardedUser, requestId: context.requestId };
      // Waiting for the rest of the turn pays off only when other requests are under way (this
      // subgraph is busy answering some); alone, that wait only added to the request's latency
      // (0.3 to 1.5 ms at one client in the bench). Live events always wait: the events of one
      // turn arrive in separate reads of their sockets.
      if (context.batchScope || this.inFlight > 0) {
        this.turnBatch ??= new DataLoader((fetches) => this.postTurn(fetches), {
          cache: false,
          maxBatchSize: MAX_SUBGRAPH_BATCH,
          batchScheduleFn: (dispatch) => void setImmediate(dispatch),
        });
        return this.turnBatch.load(fetch);
      }
      this.tickBatch ??= new DataLoader((fetches) => this.postTurn(fetches), { cache: false, maxBatchSize: MAX_SUBGRAPH_BATCH });
      return this.tickBatch.load(fetch);
    }
    const scope = context.batchScope ?? context;
    let batch = this.batches.get(scope);
    if (!batch) {
      // Every fetch of one scope carries the same caller (and, but for a scope of live events,
      // the same request id and tracing headers): the batch goes with the first one's headers.
      // A client request's fetches of one step are issued in one go; a shared scope's come from
      // separate reads of their sockets, so it gathers until the loop's check phase (this turn).
      const batchScheduleFn = scope === context ? undefined : (dispatch: () => void) => void setImmediate(dispatch);
      batch = new DataLoader((operations) => this.postBatch(headers, operations), { cache: false, maxBatchSize: MAX_SUBGRAPH_BATCH, batchScheduleFn });
      this.batches.set(scope, batch);
    }
    return batch.load(operation);
  }

  /** One turn's queries: one batch when they are one caller's or the subgraph takes callers per operation, else a batch per caller. */
  private async postTurn(fetches: readonly BatchedFetch[]): Promise<Array<GraphQLResponse | Error>> {
    const callers = new Set(fetches.map((fetch) => fetch.caller));
    if (callers.size > 1 && this.acrossCallers && this.batching) {
      const operations = fetches.map(({ operation, caller, requestId }) => ({
        ...operation,
        extensions: { ...operation.extensions, [FORWARDED_USER_HEADER]: caller, [REQUEST_ID_HEADER]: requestId },
      }));
      // No caller in the headers: a subgraph that reads it only there refuses the batch whole.
      const { [FORWARDED_USER_HEADER]: _caller, [REQUEST_ID_HEADER]: _requestId, ...headers } = fetches[0].headers;
      const response = await this.request(headers, JSON.stringify(operations));
      if (await this.refusesBatches(response)) return settleEach(fetches.map((fetch) => this.post(fetch.headers, fetch.operation)));
      if (response.status !== 401) return batchAnswers(response, operations.length);
      this.acrossCallers = false;
    }
    const answers: Array<GraphQLResponse | Error> = new Array(fetches.length);
    await Promise.all(
      [...groupPositions(fetches, (fetch) => fetch.caller).values()].map(async (positions) => {
        const batch = positions.map((i) => fetches[i].operation);
        const results = await this.postBatch(fetches[positions[0]].headers, batch).catch((err: Error) => batch.map(() => err));
        positions.forEach((at, i) => (answers[at] = results[i]));
      }),
    );
    return answers;
  }

  private async post(headers: Record<string, string>, operation: SubgraphOperation): Promise<GraphQLResponse> {
    const response = await this.request(headers, JSON.stringify(operation));
    if (!response.ok) throw subgraphFailed(response);
    const parsed = await readJson(response);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`Expected JSON response body, but received: ${String(parsed).slice(0, 200)}`);
    }
    return parsed as GraphQLResponse;
  }

  private async postBatch(headers: Record<string, string>, operations: readonly SubgraphOperation[]): Promise<Array<GraphQLResponse | Error>> {
    if (operations.length === 1 || !this.batching) return settleEach(operations.map((operation) => this.post(headers, operation)));
    const response = await this.request(headers, JSON.stringify(operations));
    if (await this.refusesBatches(response)) return settleEach(operations.map((operation) => this.post(headers, operation)));
    return batchAnswers(response, operations.length);
  }

  /** Apollo Server without allowBatchedHttpRequests refuses the whole array before running any of it: no batches from then on. */
  private async refusesBatches(response: SubgraphResponse): Promise<boolean> {
    if (response.status !== 400 || !/batching disabled/i.test(await response.text())) return false;
    this.batching = false;
    return true;
  }

  private async request(headers: Record<string, string>, body: string): Promise<SubgraphResponse> {
    this.inFlight++;
    try {
      return (await this.fetcher(this.url, { method: 'POST', headers, body })) as unknown as SubgraphResponse;
    } finally {
      this.inFlight--;
    }
  }
}

/** A batch's answers, one per operation. */
async function batchAnswers(response: SubgraphResponse, count: number): Promise<Array<GraphQLResponse | Error>> {
  if (!response.ok) throw subgraphFailed(response);
  const parsed = await readJson(response);
  if (!Array.isArray(parsed) || parsed.length !== count) {
    throw new Error(`Expected a JSON array of ${count} responses, but received: ${JSON.stringify(parsed).slice(0, 200)}`);
  }
  return parsed.map((one) =>
    one !== null && typeof one === 'object' && !Array.isArray(one) ? (one as GraphQLResponse) : new Error(`Expected a JSON response in the batch, but received: ${JSON.stringify(one).slice(0, 200)}`),
  );
}

function headersFor(http: Iterable<[string, string]> | undefined, context: GatewayContext | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (http) for (const [name, value] of http) headers[name] = value;
  headers['content-type'] = 'application/json';
  if (context?.forwardedUser) {
    headers[FORWARDED_USER_HEADER] = context.forwardedUser;
    headers[REQUEST_ID_HEADER] = context.requestId;
  }
  return headers;
}

async function readJson(response: SubgraphResponse): Promise<unknown> {
  const contentType = response.headers.get('content-type');
  const json = contentType?.startsWith('application/json') || contentType?.startsWith('application/graphql-response+json');
  return json ? await response.json() : await response.text();
}

/** Each promise's value, or its error in its place (what DataLoader takes from a batch function). */
function settleEach<T>(promises: Array<Promise<T>>): Promise<Array<T | Error>> {
  return Promise.all(promises.map((p) => p.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))));
}

/** A failed subgraph reaches clients as a generic error, never with its URL or body. */
function subgraphFailed(response: { status: number }): GraphQLError {
  return new GraphQLError(`A service failed to answer (${response.status})`, {
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
}
