import type { Duplex } from 'node:stream';
import type { GraphQLDataSource, ServiceMap } from '@apollo/gateway';
import type { FetchNode, PlanNode, QueryPlan, SubscriptionNode } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import {
  ErrorCode,
  FANOUT_VIEWER,
  isLiveMarker,
  type Logger,
  type Viewer,
} from '@commons/shared';
import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
  type OperationDefinitionNode,
} from 'graphql';
import type { Sink } from 'graphql-ws';
import WebSocket from 'ws';
import type { GatewayContext } from '../context';
import type { AdmissionListener, AdmissionOperation, AdmissionSockets } from './admission';
import type { PlannedOperation, SupergraphPlanner } from './planner';
import type { UpstreamOperation, UpstreamSockets } from './upstream';

/** The pseudo-subgraph that "answers" a subscription plan's primary fetch with the upstream event. */
const EVENT_SOURCE = '__subscription_event__';

/** Events of one stream whose rest-of-plan fetches may run at once; delivery stays in order. */
const MAX_RESOLVING = 16;

/** Close code for a socket that fell too far behind (RFC 6455 "try again later"): graphql-ws clients reconnect on it. */
export const SOCKET_TOO_SLOW = 1013;

export interface SubscribeRequest {
  query: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName?: string;
  /** Already coerced against the operation's variable definitions. */
  variables: Record<string, unknown>;
  viewer: Viewer | null;
  requestId: string;
}

/** The socket side of subscribers: where their frames go, and who hears when the hub ends one. */
export interface SubscriberSocket {
  readonly socket: WebSocket;
  /** The hub ended subscription `id`: the client gets the last result (an error), if any, then complete. */
  subscriptionEnded(id: string, last?: ExecutionResult): void;
}

export interface HubDeps {
  planner: () => SupergraphPlanner;
  upstream: Pick<UpstreamSockets, 'subscribe'>;
  /** Asks the subgraph owning a shared stream's root field to admit each subscriber as themselves. */
  admissions: Pick<AdmissionSockets, 'admit' | 'leave'>;
  dataSources: Record<string, GraphQLDataSource<GatewayContext>>;
  signForwardedUser: (viewer: Viewer | null) => Promise<string>;
  /** What clients see of a result (masking), applied once per event for every socket. */
  formatResult: (result: ExecutionResult) => unknown;
  logger: Logger;
  /** Bytes a socket may have queued before it is closed with SOCKET_TOO_SLOW. */
  maxSocketBacklog: number;
}

type EventContext = GatewayContext & { subscriptionEvent?: ExecutionResult };

const eventSource: GraphQLDataSource<EventContext> = {
  process: async ({ context }) => context.subscriptionEvent ?? { data: null },
};

const interrupted = () =>
  new GraphQLError('The live stream was interrupted; subscribe again (with `after:` where offered) to catch up', {
    extensions: { code: ErrorCode.UNAVAILABLE },
  });

const toGraphQLErrors = (errors: ReadonlyArray<GraphQLFormattedError>) =>
  errors.map((e) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions }));

/**
 * The batch scope (GatewayContext.batchScope) of the events of one identity resolved in this
 * turn of the event loop: events that arrive together (one read of the upstream socket often
 * holds several, and a busy gateway reads more at once) send their rest-of-plan fetches to a
 * subgraph as one batched request, which the subgraph answers with one context and so one
 * statement per loader. The identity is the object itself: the gateway's FANOUT_VIEWER for
 * every shared stream, a caller's own Viewer for their private ones.
 */
const eventScopes = new Map<Viewer | null, object>();

function eventBatchScope(identity: Viewer | null): object {
  let scope = eventScopes.get(identity);
  if (!scope) {
    if (eventScopes.size === 0) setImmediate(() => eventScopes.clear());
    eventScopes.set(identity, (scope = {}));
  }
  return scope;
}

const failureOf = (err: unknown): ExecutionResult => ({ errors: Array.isArray(err) ? toGraphQLErrors(err) : [interrupted()] });

/**
 * A subscription that replays from a cursor (`after:`) has history of its own: a client
 * joining a shared stream late would miss the replay. Such subscriptions are never shared.
 */
function replaysHistory(operation: OperationDefinitionNode, variables: Record<string, unknown>): boolean {
  return operation.selectionSet.selections.some(
    (s) =>
      s.kind === Kind.FIELD &&
      s.arguments?.some(
        (a) =>
          a.name.value === 'after' &&
          (a.value.kind === Kind.VARIABLE ? variables[a.value.name.value] != null : a.value.kind !== Kind.NULL),
      ),
  );
}

/**
 * Executes subscriptions through the gateway. Everyone asking for the same operation and
 * variables shares one pipeline: one upstream subscription to the subgraph that owns the root
 * field, followed as the gateway (FANOUT_VIEWER), one execution of the rest of the query plan
 * per event, serialized once and written as the same frame to every socket. Each subscriber is
 * first admitted by the subgraph under their own identity (the subscription's own access
 * checks) and dropped when that admission ends, e.g. when they are removed from the channel.
 * Operations selecting a @perViewer field keep one pipeline per caller, followed as the caller,
 * and replays (`after:`) one per subscriber.
 */
export class SubscriptionHub {
  private readonly pipelines = new Map<string, Pipeline>();
  private serial = 0;

  constructor(private readonly deps: HubDeps) {}

  /** Adds subscription `id` of `socket`; its events are written straight to the socket. */
  subscribe(request: SubscribeRequest, socket: SubscriberSocket, id: string): Subscriber {
    const planned = this.deps.planner().plan(request.query, request.document, request.operationName);
    const streamKey = [request.query, request.operationName ?? null, request.variables];
    let key: string;
    let identity: Viewer | null;
    if (replaysHistory(request.operation, request.variables)) {
      key = `private:${++this.serial}`;
      identity = request.viewer;
    } else if (planned.perViewer) {
      key = JSON.stringify([...streamKey, request.viewer?.id ?? null]);
      identity = request.viewer;
    } else {
      key = JSON.stringify(streamKey);
      identity = FANOUT_VIEWER;
    }
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = new Pipeline(request, planned, identity, this.deps, () => this.pipelines.delete(key));
      this.pipelines.set(key, pipeline);
    }
    return pipeline.add(request.viewer, socket, id);
  }

  /**
   * Subscribers, and those of them not yet live: waiting for the subgraph to admit them, or for
   * their stream to be subscribed upstream (events sent before then are not theirs to expect).
   */
  get stats() {
    let subscribers = 0;
    let admitting = 0;
    for (const p of this.pipelines.values()) {
      subscribers += p.size;
      admitting += p.admitting;
    }
    return { pipelines: this.pipelines.size, subscribers, admitting };
  }

  close(): void {
    for (const pipeline of [...this.pipelines.values()]) pipeline.end();
  }
}

/**
 * What bounds fan-out is one `writev` system call per frame per socket. When the gateway falls
 * behind, several events of a stream are delivered within one turn of the event loop; corking
 * each socket until the next turn sends them in one write instead. In a quiet turn it costs a
 * cork and an uncork. (Holding busy sockets for a fixed 20 ms to batch more was measured in S2
 * and saved no gateway CPU at 100 events/s per socket, so it is not done.) ws has no cork of
 * its own, so this reaches for its (long-stable) `_socket`.
 */
const corked = new Set<Duplex>();
let uncorkScheduled = false;

function corkUntilNextTurn(socket: WebSocket): void {
  const raw = (socket as unknown as { _socket?: Duplex })._socket;
  if (!raw || corked.has(raw)) return;
  raw.cork();
  corked.add(raw);
  if (!uncorkScheduled) {
    uncorkScheduled = true;
    setImmediate(uncorkAll);
  }
}

function uncorkAll(): void {
  uncorkScheduled = false;
  for (const raw of corked) raw.uncork();
  corked.clear();
}

/**
 * One event's payload framed for each graphql-ws subscription id, encoded once per id: clients
 * number their subscriptions alike, so most sockets of a stream get the very same bytes.
 */
export class Frames {
  private readonly byId = new Map<string, Buffer>();
  constructor(readonly payload: string) {}

  for(id: string): Buffer {
    let frame = this.byId.get(id);
    if (!frame) {
      frame = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":${this.payload}}`);
      this.byId.set(id, frame);
    }
    return frame;
  }
}

/**
 * One client subscription of a pipeline. Events go straight to its socket; the socket's side
 * hears when the hub ends it. A class with no closures: idle subscribers are most of the
 * gateway's memory at scale.
 */
export class Subscriber implements AdmissionListener {
  /** Events reach the subscriber only once the subgraph has admitted them. */
  admitted = false;
  /** This subscriber's admission, to leave it with. */
  admissionId?: number;
  private ended = false;

  constructor(
    private readonly owner: SubscriberSocket,
    private readonly id: string,
    private readonly pipeline: Pick<Pipeline, 'remove'>,
  ) {}

  get closed(): boolean {
    return this.ended;
  }

  /**
   * Writes a `next` frame around an already serialized payload. A socket whose unsent backlog
   * passed the bound is closed rather than buffered without end: its client reconnects and
   * catches up with `after:`, and one slow reader cannot hold the gateway's memory.
   */
  send(frames: Frames, maxBacklog: number): void {
    const { socket } = this.owner;
    if (this.ended || socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > maxBacklog) {
      socket.close(SOCKET_TOO_SLOW, 'Too far behind; reconnect and resubscribe with after: to catch up');
      return;
    }
    corkUntilNextTurn(socket);
    // Text, as graphql-ws requires, though handed over as the shared bytes.
    socket.send(frames.for(this.id), { binary: false });
  }

  /** Ends the subscription from the hub's side; the client is told, with a last result (an error), if any. */
  end(last?: ExecutionResult): void {
    if (this.ended) return;
    this.leave();
    this.owner.subscriptionEnded(this.id, last);
  }

  /** The client completed the subscription or its socket closed: leaves the stream, telling no one. */
  leave(): void {
    if (this.ended) return;
    this.ended = true;
    this.pipeline.remove(this);
  }

  onAdmitted(): void {
    this.admitted = true;
  }

  onAdmissionEnded(outcome: ReadonlyArray<GraphQLFormattedError> | Error | undefined): void {
    this.end(outcome === undefined ? undefined : failureOf(outcome));
  }
}

class Pipeline {
  private readonly subscribers = new Set<Subscriber>();
  private readonly planner: SupergraphPlanner;
  private readonly eventPlan: QueryPlan;
  private readonly primary: FetchNode;
  private readonly primaryVariables: Record<string, unknown>;
  private readonly serviceMap: ServiceMap;
  private readonly shared: boolean;
  private stopUpstream?: () => void;
  private admissionOperation?: AdmissionOperation;
  private delivered: Promise<void> = Promise.resolve();
  private readonly recentDeliveries: Promise<void>[] = [];
  private ended = false;
  /** The subgraph said the upstream subscription is active on its broker. */
  private live = false;

  constructor(
    private readonly request: SubscribeRequest,
    private readonly planned: PlannedOperation,
    private readonly identity: Viewer | null,
    private readonly deps: HubDeps,
    private readonly onEnd: () => void,
  ) {
    this.planner = deps.planner();
    const node = planned.queryPlan.node;
    if (node?.kind !== 'Subscription') throw new Error('Not a subscription plan');
    this.primary = node.primary;
    this.primaryVariables = Object.fromEntries(
      (node.primary.variableUsages ?? []).filter((n) => n in request.variables).map((n) => [n, request.variables[n]]),
    );
    this.eventPlan = eventPlanOf(node);
    this.serviceMap = { ...deps.dataSources, [EVENT_SOURCE]: eventSource } as ServiceMap;
    this.shared = identity === FANOUT_VIEWER;
    this.follow(identity, {
      next: (event) => {
        if (isLiveMarker(event)) this.live = true;
        else this.onEvent(event);
      },
      error: (err) => {
        if (!Array.isArray(err)) this.deps.logger.warn({ service: this.primary.serviceName }, 'upstream subscription lost');
        this.delivered = this.delivered.then(() => this.finish(failureOf(err)));
      },
      complete: () => {
        this.delivered = this.delivered.then(() => this.end());
      },
    }).then((stop) => {
      if (this.ended) stop?.();
      else this.stopUpstream = stop;
    });
  }

  get size(): number {
    return this.subscribers.size;
  }

  get admitting(): number {
    if (!this.live) return this.subscribers.size;
    let waiting = 0;
    for (const subscriber of this.subscribers) if (!subscriber.admitted) waiting++;
    return waiting;
  }

  add(viewer: Viewer | null, socket: SubscriberSocket, id: string): Subscriber {
    const subscriber = new Subscriber(socket, id, this);
    if (this.ended) {
      subscriber.end();
      return subscriber;
    }
    this.subscribers.add(subscriber);
    if (!this.shared) {
      // The upstream runs as this very caller: the subgraph's checks on it are the admission.
      subscriber.admitted = true;
      return subscriber;
    }
    void this.admit(subscriber, viewer);
    return subscriber;
  }

  /** Asks the subgraph to admit the subscriber as `viewer`; it tells the subscriber what became of it. */
  private async admit(subscriber: Subscriber, viewer: Viewer | null): Promise<void> {
    const { serviceName, operation, operationName } = this.primary;
    try {
      const forwardedUser = await this.deps.signForwardedUser(viewer);
      if (subscriber.closed) return;
      // One object per pipeline: the admission socket sends a stream's operation once for all of its subscribers.
      this.admissionOperation ??= { query: operation, operationName, variables: this.primaryVariables };
      subscriber.admissionId = this.deps.admissions.admit(serviceName, this.admissionOperation, forwardedUser, subscriber);
    } catch (err) {
      this.deps.logger.error({ err, service: serviceName }, 'could not ask for the admission');
      subscriber.end(failureOf(err));
    }
  }

  remove(subscriber: Subscriber): void {
    if (subscriber.admissionId !== undefined) this.deps.admissions.leave(this.primary.serviceName, subscriber.admissionId);
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0) this.end();
  }

  /** Opens the plan's primary subscription upstream as `viewer`; resolves to its stop function. */
  private async follow(viewer: Viewer | null, sink: Sink<ExecutionResult>): Promise<(() => void) | undefined> {
    const { serviceName, operation, operationName } = this.primary;
    try {
      const forwardedUser = await this.deps.signForwardedUser(viewer);
      if (this.ended) return undefined;
      const upstream: UpstreamOperation = { query: operation, operationName, variables: this.primaryVariables, forwardedUser };
      return this.deps.upstream.subscribe(serviceName, upstream, sink);
    } catch (err) {
      this.deps.logger.error({ err, service: serviceName }, 'could not open the upstream subscription');
      sink.error(err);
      return undefined;
    }
  }

  /**
   * Starts resolving the rest of the plan for this event at once (up to MAX_RESOLVING events
   * at a time), so one slow fetch does not hold back the stream, and delivers in arrival order.
   */
  private onEvent(event: ExecutionResult): void {
    const gate = this.recentDeliveries.length >= MAX_RESOLVING ? this.recentDeliveries.shift() : undefined;
    const resolved = gate ? gate.then(() => this.resolve(event)) : this.resolve(event);
    this.delivered = this.delivered.then(async () => {
      const outcome = await resolved;
      if ('final' in outcome) this.finish(outcome.final);
      else this.broadcast(outcome.result);
    });
    this.recentDeliveries.push(this.delivered);
  }

  private async resolve(event: ExecutionResult): Promise<{ result: ExecutionResult } | { final: ExecutionResult }> {
    if (this.ended) return { result: { data: null } };
    if (!event.data && event.errors?.length) return { final: { errors: toGraphQLErrors(event.errors) } };
    try {
      const context: EventContext = {
        requestId: this.request.requestId,
        viewer: this.identity,
        forwardedUser: await this.deps.signForwardedUser(this.identity),
        subscriptionEvent: event,
        batchScope: eventBatchScope(this.identity),
      };
      const requestContext = {
        request: { query: this.request.query, operationName: this.request.operationName, variables: this.request.variables },
        context,
        logger: this.deps.logger,
        metrics: {},
      } as unknown as GatewayGraphQLRequestContext;
      return { result: await this.planner.execute(this.eventPlan, this.planned.operationContext, this.serviceMap, requestContext) };
    } catch (err) {
      this.deps.logger.error({ err }, 'subscription event execution failed');
      return { result: { errors: [new GraphQLError('Internal server error', { extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } })] } };
    }
  }

  /** Serializes the result once and writes the same frame to every admitted subscriber. */
  private broadcast(result: ExecutionResult): void {
    if (this.ended) return;
    const frames = new Frames(JSON.stringify(this.deps.formatResult(result)));
    for (const subscriber of this.subscribers) {
      if (subscriber.admitted) subscriber.send(frames, this.deps.maxSocketBacklog);
    }
  }

  private finish(last: ExecutionResult): void {
    for (const subscriber of [...this.subscribers]) subscriber.end(last);
    this.end();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
    this.stopUpstream?.();
    for (const subscriber of [...this.subscribers]) subscriber.end();
    this.subscribers.clear();
  }
}

/** The subscription's plan with its primary fetch answered by the event instead of a subgraph. */
function eventPlanOf(node: SubscriptionNode): QueryPlan {
  const primary: FetchNode = { ...node.primary, serviceName: EVENT_SOURCE };
  const root: PlanNode = node.rest ? { kind: 'Sequence', nodes: [primary, node.rest] } : primary;
  return { kind: 'QueryPlan', node: root };
}
