// Apollo Server over plain node:http, for the one path that carries the load: Express, its router
// and body-parser cost a measurable share of a small lookup's CPU. It follows what @apollo/server's
// standalone server and the Express integration do, with body-parser's `json()` semantics.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { MIMEType } from 'node:util';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest } from '@apollo/server';
import { trace } from '@opentelemetry/api';

const GRAPHQL_PATH = '/graphql';

/**
 * The most operations a subgraph takes in one batched request (Apollo Server's JSON array), and
 * so the most the gateway puts in one: a query plan's widest parallel step sends a handful to one
 * subgraph. The gateway takes no batches from clients (its limits are per operation).
 */
export const MAX_SUBGRAPH_BATCH = 8;

export interface GraphQLHttpOptions<C extends BaseContext> {
  /** The largest request body read, in bytes; a larger one is answered 413 PAYLOAD_TOO_LARGE. */
  maxBodyBytes: number;
  /** Builds the operation's context; a GraphQLError thrown here answers with its `extensions.http` status. */
  context: (req: IncomingMessage) => Promise<C>;
  /**
   * The most operations a batched request (a JSON array; the server must allow batches) may
   * carry; a longer one is answered 400 BAD_REQUEST before any of it runs.
   */
  maxBatch?: number;
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
    const response = await server.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: () => options.context(req) });
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
