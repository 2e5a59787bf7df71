import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { documentCache, ErrorCode, type Logger, type Viewer } from '@commons/shared';
import {
  getOperationAST,
  GraphQLError,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { GatewayContext } from '../context';
import type { SubscriberTarget, SubscriptionHub } from './hub';
import type { SupergraphPlanner } from './planner';

export interface GatewayWsOptions {
  httpServer: Server;
  planner: () => SupergraphPlanner;
  hub: SubscriptionHub;
  verifyAuthorization: (header: string | undefined | null) => Promise<Viewer | null>;
  signForwardedUser: (viewer: Viewer | null) => Promise<string>;
  /** Parses and validates with the same limits as HTTP (graphql-ws skips Apollo's pipeline). */
  checkOperation: (schema: GraphQLSchema, query: string) => { document: DocumentNode } | { errors: GraphQLError[] };
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
}

type ConnectionExtra = { viewer?: Viewer | null; owner?: string; operations?: Set<string>; expiry?: NodeJS.Timeout };
type OperationContext = GatewayContext & { query: string; rawVariables: Record<string, unknown>; target: SubscriberTarget };

/** A result as clients see it: its errors through the gateway's formatError (masking). */
export function formatResult(result: ExecutionResult, formatError: GatewayWsOptions['formatError']): FormattedExecutionResult {
  if (!result.errors) return result as FormattedExecutionResult;
  return { ...result, errors: result.errors.map((e) => (e instanceof GraphQLError ? formatError(e.toJSON(), e) : e)) };
}

/** Close code for a socket over its owner's connection cap (graphql-ws reserves 4400-4499 for its own). */
const TOO_MANY_SOCKETS = 4429;

/**
 * graphql-ws on the gateway's `/graphql`. Auth happens once, in `connection_init`
 * (`{ authorization: "Bearer <JWT>" }`): a bad token closes the socket with 4403, and the
 * socket closes (4403 too) when the token expires. Sockets and live subscriptions are capped
 * per user (per address for anonymous sockets).
 */
export function createGatewayWsServer(options: GatewayWsOptions) {
  const wsServer = new WebSocketServer({ server: options.httpServer, path: '/graphql', maxPayload: options.maxPayload });
  const sockets = new Map<string, number>();
  const subscriptions = new Map<string, number>();
  const bump = (counts: Map<string, number>, key: string, by: number) => {
    const next = (counts.get(key) ?? 0) + by;
    if (next <= 0) counts.delete(key);
    else counts.set(key, next);
  };

  const checkedDocuments = documentCache(options.checkOperation);

  const cleanup = useServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      schema: () => options.planner().schema,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        let viewer: Viewer | null;
        try {
          viewer = await options.verifyAuthorization(typeof authorization === 'string' ? authorization : undefined);
        } catch {
          return false;
        }
        const owner = viewer ? `user:${viewer.id}` : `anon:${ctx.extra.request.socket.remoteAddress}`;
        // The upgrade request would otherwise stay reachable for the socket's whole life.
        (ctx.extra as { request?: unknown }).request = undefined;
        if ((sockets.get(owner) ?? 0) >= options.maxSocketsPerUser) {
          ctx.extra.socket.close(TOO_MANY_SOCKETS, 'Too many connections');
          return false;
        }
        bump(sockets, owner, 1);
        Object.assign(ctx.extra, { viewer, owner, operations: new Set<string>() });
        if (viewer?.expiresAt) {
          // setTimeout's limit is about 24.8 days; a token living longer is re-checked then.
          const ms = Math.min(Math.max(0, viewer.expiresAt - Date.now()), 2 ** 31 - 1);
          ctx.extra.expiry = setTimeout(() => ctx.extra.socket.close(CloseCode.Forbidden, 'Token expired'), ms);
        }
        return true;
      },
      onClose: (ctx) => {
        clearTimeout(ctx.extra.expiry);
        if (!ctx.extra.owner) return;
        bump(sockets, ctx.extra.owner, -1);
        bump(subscriptions, ctx.extra.owner, -(ctx.extra.operations?.size ?? 0));
      },
      onSubscribe: async (ctx, id, payload) => {
        const schema = options.planner().schema;
        const checked = checkedDocuments.get(schema, payload.query);
        if ('errors' in checked) return checked.errors;
        const { document } = checked;
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) {
          return [new GraphQLError('Could not determine which operation to run', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })];
        }
        const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {});
        if (coerced.errors) {
          return coerced.errors.map((e) => new GraphQLError(e.message, { extensions: { code: ErrorCode.BAD_USER_INPUT } }));
        }
        const tooCostly = options.checkCost(schema, document, payload.operationName ?? undefined, coerced.coerced);
        if (tooCostly) return [tooCostly];
        const owner = ctx.extra.owner!;
        if (operation.operation === 'subscription') {
          if ((subscriptions.get(owner) ?? 0) >= options.maxSubscriptionsPerUser) {
            return [new GraphQLError('Too many live subscriptions', { extensions: { code: ErrorCode.RATE_LIMITED } })];
          }
          bump(subscriptions, owner, 1);
          ctx.extra.operations!.add(id);
        }
        const viewer = ctx.extra.viewer ?? null;
        const contextValue: OperationContext = {
          requestId: randomUUID(),
          viewer,
          forwardedUser: await options.signForwardedUser(viewer),
          query: payload.query,
          rawVariables: payload.variables ?? {},
          target: { socket: ctx.extra.socket, id },
        };
        return {
          schema,
          document,
          operationName: payload.operationName ?? undefined,
          variableValues: coerced.coerced,
          contextValue,
        } satisfies ExecutionArgs;
      },
      onComplete: (ctx, id) => {
        if (ctx.extra.operations?.delete(id)) bump(subscriptions, ctx.extra.owner!, -1);
      },
      subscribe: (args) => {
        const context = args.contextValue as OperationContext;
        return options.hub.subscribe(
          {
            query: context.query,
            document: args.document,
            operation: getOperationAST(args.document, args.operationName)!,
            operationName: args.operationName ?? undefined,
            variables: (args.variableValues ?? {}) as Record<string, unknown>,
            viewer: context.viewer,
            requestId: context.requestId,
          },
          context.target,
        );
      },
      execute: (args) => {
        const context = args.contextValue as OperationContext;
        return options.executeOperation(
          { query: context.query, variables: context.rawVariables, operationName: args.operationName ?? undefined },
          { requestId: context.requestId, viewer: context.viewer, forwardedUser: context.forwardedUser },
        );
      },
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? formatResult(result, options.formatError) : undefined),
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => options.formatError(e.toJSON(), e)),
    },
    wsServer,
  );
  return {
    wsServer,
    /** Open sockets and live subscriptions, by owner, for metrics and tests. */
    stats: () => ({ sockets: [...sockets.values()].reduce((a, b) => a + b, 0), subscriptions: [...subscriptions.values()].reduce((a, b) => a + b, 0) }),
    async close() {
      for (const socket of wsServer.clients) socket.close(1001, 'Going away');
      await cleanup.dispose();
    },
  };
}
