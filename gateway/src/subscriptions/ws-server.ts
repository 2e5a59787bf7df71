import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { documentCache, ErrorCode, type CheckedDocument, type Logger, type Viewer } from '@commons/shared';
import {
  getOperationAST,
  GraphQLError,
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import {
  CloseCode,
  GRAPHQL_TRANSPORT_WS_PROTOCOL,
  handleProtocols,
  MessageType,
  parseMessage,
  stringifyMessage,
  type Message,
  type SubscribePayload,
} from 'graphql-ws';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import type { GatewayContext } from '../context';
import { Subscriber, type SubscriberSocket, type SubscriptionHub } from './hub';
import type { SupergraphPlanner } from './planner';

export interface GatewayWsOptions {
  httpServer: Server;
  planner: () => SupergraphPlanner;
  hub: Pick<SubscriptionHub, 'subscribe'>;
  verifyAuthorization: (header: string | undefined | null) => Promise<Viewer | null>;
  signForwardedUser: (viewer: Viewer | null) => Promise<string>;
  /** Parses and validates with the same limits as HTTP (the socket skips Apollo's pipeline for subscriptions). */
  checkOperation: (schema: GraphQLSchema, query: string) => CheckedDocument;
  /** The cost check, which needs the variables (page sizes) and so runs after coercion. */
  checkCost: (
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | undefined,
    variables: Record<string, unknown>,
  ) => GraphQLError | undefined;
  /** Queries and mutations sent over the socket run through the same pipeline as HTTP. */
  executeOperation: (
    request: { query: string; variables?: Record<string, unknown>; operationName?: string },
    context: GatewayContext,
  ) => Promise<ExecutionResult>;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  logger: Logger;
  maxPayload: number;
  maxSocketsPerUser: number;
  maxSubscriptionsPerUser: number;
  /** How long a new socket has to send connection_init (graphql-ws's default, 3 s). */
  connectionInitWaitMs?: number;
  /** Ping interval; a socket that has not answered the previous ping by the next is dropped (graphql-ws's default, 12 s). */
  keepAliveMs?: number;
}

/** A result as clients see it: its errors through the gateway's formatError (masking). */
export function formatResult(result: ExecutionResult, formatError: GatewayWsOptions['formatError']): FormattedExecutionResult {
  if (!result.errors) return result as FormattedExecutionResult;
  return { ...result, errors: result.errors.map((e) => (e instanceof GraphQLError ? formatError(e.toJSON(), e) : e)) };
}

/** Close code for a socket over its owner's connection cap (graphql-ws reserves 4400-4499 for its own). */
const TOO_MANY_SOCKETS = 4429;
/** Marks a query or mutation in flight among a connection's operations (they are not counted against the cap). */
const QUERY = 'query';
const ACK = stringifyMessage({ type: MessageType.ConnectionAck });

type Prepared =
  | { errors: GraphQLError[] }
  | { schema: GraphQLSchema; document: DocumentNode; operation: OperationDefinitionNode; variables: Record<string, unknown> };

/**
 * The gateway's server of the graphql-ws protocol (graphql-transport-ws) on `/graphql`. Auth
 * happens once, in `connection_init` (`{ authorization: "Bearer <JWT>" }`): a bad token closes
 * the socket with 4403, and the socket closes (4403 too) when the token expires. Sockets and
 * live subscriptions are capped per user (per address for anonymous sockets).
 *
 * Why not graphql-ws's own server: it awaits each subscription in the message handler for the
 * subscription's whole life, so every idle subscriber kept its raw message, generators,
 * promises and closures alive (3.6 KB of heap each, measured in the bench's S3), and every
 * socket a keep-alive timer and a dozen closures. The hub writes events straight to the
 * sockets, so a live subscription here is one map entry holding its Subscriber. graphql-ws
 * still parses and validates every message, and its constants name the protocol.
 */
export function createGatewayWsServer(options: GatewayWsOptions) {
  const server = new GatewayWsServer(options);
  return {
    wsServer: server.wsServer,
    /** Open sockets and live subscriptions, for metrics and tests. */
    stats: () => ({ sockets: sum(server.sockets), subscriptions: sum(server.subscriptions) }),
    close: () => server.close(),
  };
}

const sum = (counts: Map<string, number>) => {
  let total = 0;
  for (const n of counts.values()) total += n;
  return total;
};

class GatewayWsServer {
  readonly wsServer: WebSocketServer;
  /** Open sockets and live subscriptions per owner (`user:<id>`, or `anon:<address>`). */
  readonly sockets = new Map<string, number>();
  readonly subscriptions = new Map<string, number>();
  /** Every open socket that speaks graphql-transport-ws (ws's own tracking is off: see the constructor), pinged in turns. */
  readonly connections: Heartbeat<Connection>;
  /** Resolves close() once the last connection has closed. */
  private drained?: () => void;
  readonly checkedDocuments: ReturnType<typeof documentCache>;
  readonly initWaitMs: number;
  readonly expiries = new ExpiryWheel<Connection>((connection) => connection.socket.close(CloseCode.Forbidden, 'Token expired'));

  constructor(readonly options: GatewayWsOptions) {
    this.connections = new Heartbeat<Connection>(options.keepAliveMs ?? 12_000);
    this.checkedDocuments = documentCache(options.checkOperation);
    this.initWaitMs = options.connectionInitWaitMs ?? 3_000;
    // Not clientTracking: ws would keep each socket in a set of its own and put a closure on each
    // one's 'close' (about 0.2 KB per idle socket, measured); `connections` is the set this needs.
    this.wsServer = new WebSocketServer({ server: options.httpServer, path: '/graphql', maxPayload: options.maxPayload, handleProtocols, clientTracking: false });
    this.wsServer.on('error', (err) => options.logger.error({ err }, 'WebSocket server error'));
    this.wsServer.on('connection', (socket, request) => {
      socket.on('error', onSocketError);
      if (socket.protocol !== GRAPHQL_TRANSPORT_WS_PROTOCOL) {
        socket.close(CloseCode.SubprotocolNotAcceptable, 'Subprotocol not acceptable');
        return;
      }
      this.connections.add(new Connection(socket, request.socket.remoteAddress, this));
    });
  }

  count(counts: Map<string, number>, owner: string, by: number): void {
    const next = (counts.get(owner) ?? 0) + by;
    if (next <= 0) counts.delete(owner);
    else counts.set(owner, next);
  }

  /** The checks HTTP requests get from Apollo's pipeline: limits, a single operation, coerced variables, cost. */
  prepare(payload: SubscribePayload): Prepared {
    const schema = this.options.planner().schema;
    const checked = this.checkedDocuments.get(schema, payload.query);
    if ('errors' in checked) return checked;
    const { document } = checked;
    const operation = getOperationAST(document, payload.operationName);
    if (!operation) {
      return { errors: [new GraphQLError('Could not determine which operation to run', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })] };
    }
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {});
    if (coerced.errors) {
      return { errors: coerced.errors.map((e) => new GraphQLError(e.message, { extensions: { code: ErrorCode.BAD_USER_INPUT } })) };
    }
    const tooCostly = this.options.checkCost(schema, document, payload.operationName ?? undefined, coerced.coerced);
    if (tooCostly) return { errors: [tooCostly] };
    return { schema, document, operation, variables: coerced.coerced };
  }

  /** Says "going away" on every socket and resolves once all have closed (ws ends one that does not answer). */
  async close(): Promise<void> {
    this.connections.stop();
    this.expiries.stop();
    const drained = this.connections.size ? new Promise<void>((resolve) => (this.drained = resolve)) : undefined;
    for (const connection of this.connections) connection.socket.close(1001, 'Going away');
    await Promise.all([new Promise<void>((resolve) => this.wsServer.close(() => resolve())), drained]);
  }

  /** A connection's socket has closed. */
  forget(connection: Connection): boolean {
    if (!this.connections.delete(connection)) return false;
    if (this.connections.size === 0) this.drained?.();
    return true;
  }
}

/** ws closes the socket itself after an error (a bad frame, a message over maxPayload); nothing to add. */
function onSocketError() {}

// One set of listeners for every socket, finding its Connection as ws finds its WebSocket on a
// net.Socket: closures per socket would cost a few hundred bytes on each idle one.
const CONNECTION = Symbol('connection');
type OwnedSocket = WebSocket & { [CONNECTION]: Connection };
function onSocketMessage(this: WebSocket, data: RawData) {
  (this as OwnedSocket)[CONNECTION].receive(data);
}
function onSocketPong(this: WebSocket) {
  (this as OwnedSocket)[CONNECTION].alive = true;
}
function onSocketClose(this: WebSocket) {
  (this as OwnedSocket)[CONNECTION].closed();
}
function onInitTimeout(connection: Connection) {
  connection.socket.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
}

/** One socket: its identity once initialised, and its operations by the client's ids. */
class Connection implements SubscriberSocket {
  private initialised = false;
  private acknowledged = false;
  /** Answered the last ping (any message counts). */
  alive = true;
  /** Its slice of the server's Heartbeat. */
  heartbeatSlice?: number;
  private viewer: Viewer | null = null;
  private owner?: string;
  private initWait?: NodeJS.Timeout;
  /** The second its token expires, as the server's ExpiryWheel holds it. */
  expirySecond?: number;
  /** Live subscriptions (their Subscriber, or 'subscription' while being set up) and queries or mutations in flight. */
  private readonly operations = new Map<string, Subscriber | typeof QUERY | 'subscription'>();

  constructor(
    readonly socket: WebSocket,
    private remoteAddress: string | undefined,
    private readonly server: GatewayWsServer,
  ) {
    this.initWait = setTimeout(onInitTimeout, server.initWaitMs, this);
    (socket as OwnedSocket)[CONNECTION] = this;
    socket.on('message', onSocketMessage);
    socket.on('pong', onSocketPong);
    // Not once(): ws emits close once, and once() costs a wrapper and its state on every idle socket.
    socket.on('close', onSocketClose);
  }

  ping(): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (!this.alive) return void this.socket.terminate();
    this.alive = false;
    this.socket.ping();
  }

  receive(data: RawData): void {
    this.alive = true;
    let message: Message;
    try {
      message = parseMessage(String(data));
    } catch {
      return this.socket.close(CloseCode.BadRequest, 'Invalid message received');
    }
    try {
      switch (message.type) {
        case MessageType.ConnectionInit:
          return void this.init(message.payload).catch((err) => this.fail(err));
        case MessageType.Ping:
          return this.send(stringifyMessage(message.payload ? { type: MessageType.Pong, payload: message.payload } : { type: MessageType.Pong }));
        case MessageType.Pong:
          return;
        case MessageType.Subscribe:
          return this.subscribe(message.id, message.payload);
        case MessageType.Complete:
          return this.complete(message.id);
        default:
          return this.socket.close(CloseCode.BadRequest, `Unexpected message of type ${message.type} received`);
      }
    } catch (err) {
      // Thrown out of ws's data handler, it would take the process down.
      this.fail(err);
    }
  }

  private async init(params: Record<string, unknown> | null | undefined): Promise<void> {
    if (this.initialised) return this.socket.close(CloseCode.TooManyInitialisationRequests, 'Too many initialisation requests');
    this.initialised = true;
    clearTimeout(this.initWait);
    this.initWait = undefined;
    const { options } = this.server;
    const authorization = params?.authorization ?? params?.Authorization;
    let viewer: Viewer | null;
    try {
      viewer = await options.verifyAuthorization(typeof authorization === 'string' ? authorization : undefined);
    } catch {
      return this.socket.close(CloseCode.Forbidden, 'Forbidden');
    }
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const owner = viewer ? `user:${viewer.id}` : `anon:${this.remoteAddress}`;
    this.remoteAddress = undefined;
    if ((this.server.sockets.get(owner) ?? 0) >= options.maxSocketsPerUser) {
      return this.socket.close(TOO_MANY_SOCKETS, 'Too many connections');
    }
    this.server.count(this.server.sockets, owner, 1);
    this.owner = owner;
    this.viewer = viewer;
    this.acknowledged = true;
    if (viewer?.expiresAt) this.server.expiries.add(this, viewer.expiresAt);
    this.send(ACK);
  }

  private subscribe(id: string, payload: SubscribePayload): void {
    if (!this.acknowledged) return this.socket.close(CloseCode.Unauthorized, 'Unauthorized');
    if (this.operations.has(id)) return this.socket.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
    const { options, subscriptions } = this.server;
    let prepared: Prepared;
    try {
      prepared = this.server.prepare(payload);
    } catch (err) {
      // The planner answers UNAVAILABLE while the gateway starts; anything else is a fault of ours.
      if (!(err instanceof GraphQLError)) options.logger.error({ err }, 'could not check an operation');
      return this.sendErrors(id, [err instanceof GraphQLError ? err : internalError()]);
    }
    if ('errors' in prepared) return this.sendErrors(id, prepared.errors);
    if (prepared.operation.operation !== 'subscription') {
      this.operations.set(id, QUERY);
      return void this.execute(id, payload);
    }
    const owner = this.owner!;
    if ((subscriptions.get(owner) ?? 0) >= options.maxSubscriptionsPerUser) {
      return this.sendErrors(id, [new GraphQLError('Too many live subscriptions', { extensions: { code: ErrorCode.RATE_LIMITED } })]);
    }
    // Counted from here; the hub may end it before handing it over.
    this.operations.set(id, 'subscription');
    this.server.count(subscriptions, owner, 1);
    try {
      const subscriber = options.hub.subscribe(
        {
          query: payload.query,
          document: prepared.document,
          operation: prepared.operation,
          operationName: payload.operationName ?? undefined,
          variables: prepared.variables,
          viewer: this.viewer,
          requestId: randomUUID(),
        },
        this,
        id,
      );
      if (this.operations.has(id)) this.operations.set(id, subscriber);
    } catch (err) {
      // As for prepare: a GraphQLError is the client's to read; anything else is a fault of ours.
      if (!(err instanceof GraphQLError)) options.logger.error({ err }, 'could not start a subscription');
      if (this.forget(id)) this.sendErrors(id, [err instanceof GraphQLError ? err : internalError()]);
    }
  }

  /** A query or mutation, through Apollo Server's pipeline as over HTTP. */
  private async execute(id: string, payload: SubscribePayload): Promise<void> {
    const { options } = this.server;
    let result: ExecutionResult;
    try {
      const viewer = this.viewer;
      const context = { requestId: randomUUID(), viewer, forwardedUser: await options.signForwardedUser(viewer) };
      result = await options.executeOperation(
        { query: payload.query, variables: payload.variables ?? {}, operationName: payload.operationName ?? undefined },
        context,
      );
    } catch (err) {
      options.logger.error({ err }, 'operation over WebSocket failed');
      if (this.forget(id)) this.sendErrors(id, [internalError()]);
      return;
    }
    this.finish(id, result);
  }

  /** The hub ended a subscription: the client gets its last result (an error), if any, and complete. */
  subscriptionEnded(id: string, last?: ExecutionResult): void {
    this.finish(id, last);
  }

  /** Sends an operation's last result, if any, and complete; nothing when the client completed it first. */
  private finish(id: string, last?: ExecutionResult): void {
    if (!this.forget(id)) return;
    if (last) this.send(JSON.stringify({ id, type: MessageType.Next, payload: formatResult(last, this.server.options.formatError) }));
    this.send(JSON.stringify({ id, type: MessageType.Complete }));
  }

  /** The client completed an operation: a subscription leaves its stream; a query's result is dropped. */
  private complete(id: string): void {
    const operation = this.operations.get(id);
    if (this.forget(id) && operation instanceof Subscriber) operation.leave();
  }

  /** Drops an operation (uncounting a subscription); false when it was not there. */
  private forget(id: string): boolean {
    const operation = this.operations.get(id);
    if (operation === undefined) return false;
    this.operations.delete(id);
    if (operation !== QUERY) this.server.count(this.server.subscriptions, this.owner!, -1);
    return true;
  }

  closed(): void {
    if (!this.server.forget(this)) return;
    clearTimeout(this.initWait);
    this.server.expiries.remove(this);
    if (!this.owner) return;
    this.server.count(this.server.sockets, this.owner, -1);
    for (const id of [...this.operations.keys()]) this.complete(id);
  }

  private sendErrors(id: string, errors: readonly GraphQLError[]): void {
    const { formatError } = this.server.options;
    this.send(JSON.stringify({ id, type: MessageType.Error, payload: errors.map((e) => formatError(e.toJSON(), e)) }));
  }

  private send(frame: string): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(frame);
  }

  /** A fault of the gateway's own while handling a message: the client reconnects. */
  private fail(err: unknown): void {
    this.server.options.logger.error({ err }, 'graphql-ws message handling failed');
    this.socket.close(CloseCode.InternalServerError, 'Internal server error');
  }
}

/**
 * A set that pings its items in turns: one slice of them every `intervalMs / slices`, so that each
 * is pinged once per interval and one timer serves them all. Pinging every socket in one turn of
 * the event loop is a write per socket: 110-150 ms at 11,000 sockets (measured in the bench's S3),
 * during which no live event reached anyone. An item keeps its slice for life; a new one joins
 * the smallest, so slices stay even as sockets come and go.
 */
export class Heartbeat<T extends { heartbeatSlice?: number; ping(): void }> implements Iterable<T> {
  private readonly slices: Set<T>[];
  private turn = 0;
  private count = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number, sliceMs = 100) {
    const slices = Math.max(1, Math.round(intervalMs / sliceMs));
    this.slices = Array.from({ length: slices }, () => new Set<T>());
    this.timer = setInterval(() => this.beat(), intervalMs / slices);
    this.timer.unref();
  }

  get size(): number {
    return this.count;
  }

  add(item: T): void {
    if (item.heartbeatSlice !== undefined) return;
    let smallest = 0;
    for (let i = 1; i < this.slices.length; i++) if (this.slices[i].size < this.slices[smallest].size) smallest = i;
    this.slices[smallest].add(item);
    item.heartbeatSlice = smallest;
    this.count++;
  }

  delete(item: T): boolean {
    if (item.heartbeatSlice === undefined || !this.slices[item.heartbeatSlice].delete(item)) return false;
    item.heartbeatSlice = undefined;
    this.count--;
    return true;
  }

  /** Pings the next slice. */
  beat(): void {
    const slice = this.slices[this.turn];
    this.turn = (this.turn + 1) % this.slices.length;
    for (const item of slice) item.ping();
  }

  *[Symbol.iterator](): Iterator<T> {
    for (const slice of this.slices) yield* slice;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * Deadlines to the second with one timer for all: a timer per socket for its token's expiry
 * costs a Timeout, a closure and (per distinct delay) a timer list on every idle socket.
 */
export class ExpiryWheel<T extends { expirySecond?: number }> {
  private readonly bySecond = new Map<number, Set<T>>();
  private swept: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly expire: (item: T) => void,
    now = Date.now(),
  ) {
    this.swept = Math.floor(now / 1000);
    this.timer = setInterval(() => this.sweep(), 1000);
    this.timer.unref();
  }

  /** `item` expires at `at` (ms since the epoch), or within a second after. */
  add(item: T, at: number): void {
    this.remove(item);
    const second = Math.max(Math.ceil(at / 1000), this.swept + 1);
    item.expirySecond = second;
    let items = this.bySecond.get(second);
    if (!items) this.bySecond.set(second, (items = new Set()));
    items.add(item);
  }

  remove(item: T): void {
    if (item.expirySecond === undefined) return;
    const items = this.bySecond.get(item.expirySecond);
    items?.delete(item);
    if (items?.size === 0) this.bySecond.delete(item.expirySecond);
    item.expirySecond = undefined;
  }

  /** Expires every item whose second has come, including seconds a busy event loop skipped. */
  sweep(now = Date.now()): void {
    const current = Math.floor(now / 1000);
    for (let second = this.swept + 1; second <= current; second++) {
      const items = this.bySecond.get(second);
      if (!items) continue;
      this.bySecond.delete(second);
      for (const item of items) {
        item.expirySecond = undefined;
        this.expire(item);
      }
    }
    this.swept = Math.max(this.swept, current);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

const internalError = () => new GraphQLError('Internal server error', { extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } });
