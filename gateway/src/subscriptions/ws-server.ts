import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Logger, Viewer } from '@commons/shared';
import {
  getOperationAST,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { GatewayContext } from '../context';
import type { SubscriptionHub } from './hub';
import type { SupergraphPlanner } from './planner';

export interface GatewayWsOptions {
  httpServer: Server;
  planner: () => SupergraphPlanner;
  hub: SubscriptionHub;
  verifyAuthorization: (header: string | undefined | null) => Promise<Viewer | null>;
  signForwardedUser: (viewer: Viewer | null) => Promise<string>;
  /** Queries and mutations sent over the socket run through the same pipeline as HTTP. */
  executeOperation: (
    request: { query: string; variables?: Record<string, unknown>; operationName?: string },
    context: GatewayContext,
  ) => Promise<ExecutionResult>;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  logger: Logger;
  maxPayload: number;
}

type ConnectionExtra = { viewer?: Viewer | null };

const validationError = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });

/**
 * graphql-ws on the gateway's `/graphql`. Auth happens once, in `connection_init`
 * (`{ authorization: "Bearer <JWT>" }`); a bad token closes the socket with 4403.
 */
export function createGatewayWsServer(options: GatewayWsOptions) {
  const wsServer = new WebSocketServer({ server: options.httpServer, path: '/graphql', maxPayload: options.maxPayload });
  const cleanup = useServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      schema: () => options.planner().schema,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        try {
          ctx.extra.viewer = await options.verifyAuthorization(typeof authorization === 'string' ? authorization : undefined);
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        const schema = options.planner().schema;
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (err) {
          return [new GraphQLError((err as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        const errors = validate(schema, document);
        if (errors.length) return errors.map((e) => validationError(e.message));
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [validationError('Could not determine which operation to run')];
        const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {});
        if (coerced.errors) {
          return coerced.errors.map((e) => new GraphQLError(e.message, { extensions: { code: 'BAD_USER_INPUT' } }));
        }
        const viewer = ctx.extra.viewer ?? null;
        const contextValue: GatewayContext = {
          requestId: randomUUID(),
          viewer,
          forwardedUser: await options.signForwardedUser(viewer),
        };
        return {
          schema,
          document,
          operationName: payload.operationName ?? undefined,
          variableValues: coerced.coerced,
          contextValue: { ...contextValue, query: payload.query, rawVariables: payload.variables ?? {} },
        } satisfies ExecutionArgs;
      },
      subscribe: (args) => {
        const context = args.contextValue as GatewayContext & { query: string };
        return options.hub.subscribe({
          query: context.query,
          document: args.document,
          operation: getOperationAST(args.document, args.operationName)!,
          operationName: args.operationName ?? undefined,
          variables: (args.variableValues ?? {}) as Record<string, unknown>,
          viewer: context.viewer,
          requestId: context.requestId,
        });
      },
      execute: (args) => {
        const context = args.contextValue as GatewayContext & { query: string; rawVariables: Record<string, unknown> };
        return options.executeOperation(
          { query: context.query, variables: context.rawVariables, operationName: args.operationName ?? undefined },
          { requestId: context.requestId, viewer: context.viewer, forwardedUser: context.forwardedUser },
        );
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors
          ? { ...result, errors: result.errors.map((e) => (e instanceof GraphQLError ? options.formatError(e.toJSON(), e) : e)) }
          : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => options.formatError(e.toJSON(), e)),
    },
    wsServer,
  );
  return {
    wsServer,
    async close() {
      for (const socket of wsServer.clients) socket.close(1001, 'Going away');
      await cleanup.dispose();
    },
  };
}
