import type { GraphQLDataSource, ServiceMap } from '@apollo/gateway';
import type { FetchNode, PlanNode, QueryPlan, SubscriptionNode } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { createAsyncQueue, ErrorCode, type AsyncQueue, type Logger, type Viewer } from '@commons/shared';
import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
  type OperationDefinitionNode,
} from 'graphql';
import type { GatewayContext } from '../context';
import type { SupergraphPlanner } from './planner';
import type { UpstreamSockets } from './upstream';

/** The pseudo-subgraph that "answers" a subscription plan's primary fetch with the upstream event. */
const EVENT_SOURCE = '__subscription_event__';

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

export interface HubDeps {
  planner: () => SupergraphPlanner;
  upstream: UpstreamSockets;
  dataSources: Record<string, GraphQLDataSource<GatewayContext>>;
  signForwardedUser: (viewer: Viewer | null) => Promise<string>;
  logger: Logger;
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
 * Executes subscriptions through the gateway. Clients asking for the same operation, variables
 * and caller share one pipeline: one upstream subscription to the subgraph that owns the root
 * field, and one execution of the rest of the query plan per event, whose result is fanned out.
 */
export class SubscriptionHub {
  private readonly pipelines = new Map<string, Pipeline>();
  private serial = 0;

  constructor(private readonly deps: HubDeps) {}

  subscribe(request: SubscribeRequest): AsyncIterableIterator<ExecutionResult> {
    const shared = !replaysHistory(request.operation, request.variables);
    const key = shared
      ? JSON.stringify([request.query, request.operationName ?? null, request.variables, request.viewer?.id ?? null])
      : `private:${++this.serial}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = new Pipeline(request, this.deps, () => this.pipelines.delete(key));
      this.pipelines.set(key, pipeline);
    }
    return pipeline.add();
  }

  get stats() {
    let subscribers = 0;
    for (const p of this.pipelines.values()) subscribers += p.size;
    return { pipelines: this.pipelines.size, subscribers };
  }

  close(): void {
    for (const pipeline of [...this.pipelines.values()]) pipeline.end();
  }
}

class Pipeline {
  private readonly subscribers = new Set<AsyncQueue<ExecutionResult>>();
  private readonly planner: SupergraphPlanner;
  private readonly eventPlan: QueryPlan;
  private readonly operationContext;
  private readonly serviceMap: ServiceMap;
  private stopUpstream?: () => void;
  private pending: Promise<void> = Promise.resolve();
  private ended = false;

  constructor(
    private readonly request: SubscribeRequest,
    private readonly deps: HubDeps,
    private readonly onEnd: () => void,
  ) {
    this.planner = deps.planner();
    const planned = this.planner.plan(request.query, request.document, request.operationName);
    this.operationContext = planned.operationContext;
    const node = planned.queryPlan.node;
    if (node?.kind !== 'Subscription') throw new Error('Not a subscription plan');
    this.eventPlan = eventPlanOf(node);
    this.serviceMap = { ...deps.dataSources, [EVENT_SOURCE]: eventSource } as ServiceMap;
    this.start(node.primary);
  }

  get size(): number {
    return this.subscribers.size;
  }

  add(): AsyncQueue<ExecutionResult> {
    const queue = createAsyncQueue<ExecutionResult>(() => {
      this.subscribers.delete(queue);
      if (this.subscribers.size === 0) this.end();
    });
    if (this.ended) queue.close();
    else this.subscribers.add(queue);
    return queue;
  }

  private start(primary: FetchNode): void {
    const variables = Object.fromEntries(
      (primary.variableUsages ?? []).filter((n) => n in this.request.variables).map((n) => [n, this.request.variables[n]]),
    );
    const opened = this.deps.signForwardedUser(this.request.viewer).then((forwardedUser) => {
      if (this.ended) return;
      this.stopUpstream = this.deps.upstream.subscribe(
        primary.serviceName,
        { query: primary.operation, operationName: primary.operationName, variables, forwardedUser },
        {
          next: (event) => {
            this.pending = this.pending.then(() => this.deliver(event));
          },
          error: (err) => {
            const errors = Array.isArray(err) ? toGraphQLErrors(err) : [interrupted()];
            if (!Array.isArray(err)) this.deps.logger.warn({ service: primary.serviceName }, 'upstream subscription lost');
            this.pending = this.pending.then(() => this.finish({ errors }));
          },
          complete: () => {
            this.pending = this.pending.then(() => this.end());
          },
        },
      );
    });
    opened.catch((err) => {
      this.deps.logger.error({ err, service: primary.serviceName }, 'could not open the upstream subscription');
      this.finish({ errors: [interrupted()] });
    });
  }

  /** Resolves the rest of the plan once for this event and hands the same result to every client. */
  private async deliver(event: ExecutionResult): Promise<void> {
    if (this.ended) return;
    if (!event.data && event.errors?.length) return this.finish({ errors: toGraphQLErrors(event.errors) });
    let result: ExecutionResult;
    try {
      const context: EventContext = {
        requestId: this.request.requestId,
        viewer: this.request.viewer,
        forwardedUser: await this.deps.signForwardedUser(this.request.viewer),
        subscriptionEvent: event,
      };
      const requestContext = {
        request: { query: this.request.query, operationName: this.request.operationName, variables: this.request.variables },
        context,
        logger: this.deps.logger,
        metrics: {},
      } as unknown as GatewayGraphQLRequestContext;
      result = await this.planner.execute(this.eventPlan, this.operationContext, this.serviceMap, requestContext);
    } catch (err) {
      this.deps.logger.error({ err }, 'subscription event execution failed');
      result = { errors: [new GraphQLError('Internal server error', { extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } })] };
    }
    for (const subscriber of this.subscribers) subscriber.push(result);
  }

  private finish(last: ExecutionResult): void {
    for (const subscriber of this.subscribers) subscriber.push(last);
    this.end();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
    this.stopUpstream?.();
    for (const subscriber of [...this.subscribers]) subscriber.close();
    this.subscribers.clear();
  }
}

/** The subscription's plan with its primary fetch answered by the event instead of a subgraph. */
function eventPlanOf(node: SubscriptionNode): QueryPlan {
  const primary: FetchNode = { ...node.primary, serviceName: EVENT_SOURCE };
  const root: PlanNode = node.rest ? { kind: 'Sequence', nodes: [primary, node.rest] } : primary;
  return { kind: 'QueryPlan', node: root };
}
