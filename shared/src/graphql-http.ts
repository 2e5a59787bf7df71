// Apollo Server over plain node:http, for the one path that carries the load: Express, its router
// and body-parser cost a measurable share of a small lookup's CPU. It follows what @apollo/server's
// standalone server and the Express integration do, with body-parser's `json()` semantics.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { MIMEType } from 'node:util';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest } from '@apollo/server';
import { trace } from '@opentelemetry/api';

const GRAPHQL_PATH = '/graphql';

/** The header that carries a request's id from the gateway to the subgraphs (and into their logs). */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * The most operations a subgraph takes in one batched request (Apollo Server's JSON array), and
 * so the most the gateway puts in one: a query plan's widest parallel step sends a handful to one
 * subgraph. The gateway takes no batches from clients (its limits are per operation).
 */
export const MAX_SUBGRAPH_BATCH = 8;

export interface GraphQLHttpOptions<C extends BaseContext> {
  /** The largest request body read, in bytes; a larger one is answered 413 PAYLOAD_TOO_LARGE. */
  maxBodyBytes: number;
  /**
   * Builds the operation's context; a GraphQLError thrown here answers with its `extensions.http`
   * status. In a batch whose operations have different `contextKey`s, it builds one context per
   * key and gets the first operation of each (its JSON element) as `operation`; every context of
   * one HTTP request gets the same `memo`.
   */
  context: (req: IncomingMessage, operation: unknown, memo: RequestMemo) => Promise<C>;
  /**
   * Which context a batched operation runs in (on a server that allows batches): operations of
   * one key share one, as a batch's operations do in Apollo Server (and so its DataLoaders); a
   * batch of one key is Apollo's own batch. Without it, every batch is.
   */
  contextKey?: (operation: unknown) => string;
  /**
   * The most operations a batched request (a JSON array; the server must allow batches) may
   * carry; a longer one is answered 400 BAD_REQUEST before any of it runs.
   */
  maxBatch?: number;
}

/**
 * What the contexts of one HTTP request share, whatever their callers. A batch of several callers'
 * operations runs in a context per caller, so loaders made per context would read the same rows
 * once per caller; a loader of reads that answer every caller alike (a user's public profile),
 * made here, serves the whole request with one statement.
 */
export class RequestMemo {
  private readonly values = new Map<string, unknown>();

  /** The value under `key`: made by `make` for the first context of the request that asks. */
  once<T>(key: string, make: () => T): T {
    if (!this.values.has(key)) this.values.set(key, make());
    return this.values.get(key) as T;
  }
}

/** An answer given instead of Apollo Server's (the body could not be read, or writing failed), shaped as a GraphQL error. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Whether a request URL's path is exactly `/graphql`, whatever its query string. */
function isGraphQLPath(url = ''): boolean {
  return url.startsWith(GRAPHQL_PATH) && (url.length === GRAPHQL_PATH.length || url[GRAPHQL_PATH.length] === '?');
}

/**
 * A request listener that sends `/graphql` to `graphql` and everything else (probes, metrics,
 * static files, 404s) to `rest`, typically an Express app.
 */
export function routeGraphQL(graphql: RequestListener, rest: RequestListener): RequestListener {
  return (req, res) => {
    if (!isGraphQLPath(req.url)) return rest(req, res);
    // Express's instrumentation named the route while Express served this path; tracing's
    // server span (when on) keeps that name.
    trace.getActiveSpan()?.setAttribute('http.route', GRAPHQL_PATH).updateName(`${req.method} ${GRAPHQL_PATH}`);
    graphql(req, res);
  };
}

/**
 * Serves GraphQL over HTTP from `server` (started before the first request): reads a JSON body of
 * at most `maxBodyBytes`, runs it through `executeHTTPGraphQLRequest` (CSRF prevention, GET
 * queries, the landing page and persisted queries included) and writes Apollo's response.
 */
export function graphqlHttpHandler<C extends BaseContext>(server: ApolloServer<C>, options: GraphQLHttpOptions<C>): RequestListener {
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    let body: unknown;
    try {
      body = await readJsonBody(req, options.maxBodyBytes);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      // Unread bytes may still be on their way: this connection cannot carry another request.
      if (err.status === 413) res.setHeader('connection', 'close');
      return sendError(res, err);
    }
    if (Array.isArray(body) && options.maxBatch !== undefined && body.length > options.maxBatch) {
      return sendError(res, new HttpError(400, 'BAD_REQUEST', `A batch may hold at most ${options.maxBatch} operations`));
    }
    const query = req.url!.indexOf('?');
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: req.method!.toUpperCase(),
      headers: headerMapOf(req),
      search: query === -1 ? '' : req.url!.slice(query),
      body,
    };
    const groups = Array.isArray(body) && options.contextKey ? groupPositions(body, options.contextKey) : undefined;
    const memo = new RequestMemo();
    if (groups && groups.size > 1) return sendMixedBatch(res, await runMixedBatch(server, httpGraphQLRequest, groups, req, memo, options));
    const response = await server.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: () => options.context(req, undefined, memo) });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') return void res.end(response.body.string);
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
  return (req, res) => {
    serve(req, res).catch(() => {
      // Apollo answers every operation error itself; what is left is a broken socket or stream.
      if (res.headersSent) res.destroy();
      else sendError(res, new HttpError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'));
    });
  };
}

/** The positions of `items` by key, in order (a batch's operations by context, or by caller). */
export function groupPositions<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, number[]> {
  const groups = new Map<K, number[]>();
  items.forEach((item, i) => {
    const key = keyOf(item);
    const positions = groups.get(key);
    if (positions) positions.push(i);
    else groups.set(key, [i]);
  });
  return groups;
}

/**
 * A batch of operations in different contexts (different callers, from a gateway that batches
 * concurrent client requests): each key's operations run as Apollo runs a request (one alone, more
 * as its batch), in parallel, and their results go back in the batch's order. A key whose request
 * fails whole (its context cannot be built: 401) answers each of its operations with that error.
 */
async function runMixedBatch<C extends BaseContext>(
  server: ApolloServer<C>,
  request: HTTPGraphQLRequest,
  groups: Map<string, number[]>,
  req: IncomingMessage,
  memo: RequestMemo,
  options: GraphQLHttpOptions<C>,
): Promise<string[]> {
  const operations = request.body as unknown[];
  const results: string[] = new Array(operations.length);
  await Promise.all(
    [...groups.values()].map(async (positions) => {
      const body = positions.length === 1 ? operations[positions[0]] : positions.map((i) => operations[i]);
      const response = await server.executeHTTPGraphQLRequest({ httpGraphQLRequest: { ...request, body }, context: () => options.context(req, operations[positions[0]], memo) });
      if (response.body.kind !== 'complete') throw new Error('Incremental delivery is not supported in a batch');
      const text = response.body.string;
      if (positions.length === 1) return void (results[positions[0]] = text);
      const parsed = JSON.parse(text) as unknown;
      positions.forEach((at, i) => (results[at] = Array.isArray(parsed) ? JSON.stringify(parsed[i]) : text));
    }),
  );
  return results;
}

/** A mixed batch's answer: 200 whatever each operation's outcome, which is in its own result. */
function sendMixedBatch(res: ServerResponse, results: string[]): void {
  res.statusCode = 200;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(`[${results.join(',')}]`);
}

/** Apollo's headers: lower-cased names, repeated ones joined, as its own integrations build them. */
function headerMapOf(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/**
 * The body as body-parser's `json()` gives it: undefined without a body or when it is not
 * `application/json` (Apollo then answers the request), `{}` when empty, else the parsed JSON.
 */
function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const hasBody = req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
  const contentType = req.headers['content-type'];
  if (!hasBody || !contentType) return Promise.resolve(undefined);
  const mime = mimeTypeOf(contentType);
  if (mime?.essence !== 'application/json') return Promise.resolve(undefined);
  const charset = mime.params.get('charset')?.toLowerCase() ?? 'utf-8';
  if (charset !== 'utf-8') return Promise.reject(new HttpError(415, 'BAD_REQUEST', `Unsupported charset "${charset}"`));
  const encoding = req.headers['content-encoding']?.toLowerCase() ?? 'identity';
  if (encoding !== 'identity') return Promise.reject(new HttpError(415, 'BAD_REQUEST', `Unsupported content encoding "${encoding}"`));
  if (Number(req.headers['content-length']) > maxBytes) return Promise.reject(tooLarge());

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      req.off('data', onData).off('end', onEnd);
      reject(tooLarge());
    };
    const onEnd = () => {
      const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)).toString('utf8');
      let parsed: unknown;
      try {
        parsed = text.length === 0 ? {} : JSON.parse(text);
      } catch {
        return reject(unreadable());
      }
      // body-parser's strict mode: a bare string or number is no request at all.
      if (typeof parsed === 'object' && parsed !== null) resolve(parsed);
      else reject(unreadable());
    };
    req.on('data', onData).on('end', onEnd);
    req.once('error', () => reject(unreadable()));
  });
}

function mimeTypeOf(contentType: string): MIMEType | undefined {
  try {
    return new MIMEType(contentType);
  } catch {
    return undefined;
  }
}

const tooLarge = () => new HttpError(413, 'PAYLOAD_TOO_LARGE', 'The request body is too large');
const unreadable = () => new HttpError(400, 'BAD_REQUEST', 'The request could not be read');

function sendError(res: ServerResponse, err: HttpError): void {
  res.statusCode = err.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ errors: [{ message: err.message, extensions: { code: err.code } }] }));
}
