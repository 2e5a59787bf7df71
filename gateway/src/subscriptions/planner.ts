import { buildOperationContext, executeQueryPlan, type ServiceMap } from '@apollo/gateway';
import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type QueryPlan } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { BREAK, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';

type OperationContext = ReturnType<typeof buildOperationContext>;

export interface PlannedOperation {
  queryPlan: QueryPlan;
  operationContext: OperationContext;
  /** The operation selects a field marked @perViewer: its results differ per caller. */
  perViewer: boolean;
}

const PLAN_CACHE_SIZE = 1000;

/**
 * The supergraph as the gateway's own executor sees it, for the operations that
 * @apollo/gateway plans but refuses to execute: subscriptions. Built from the same SDL the
 * gateway loads, and rebuilt when it changes.
 */
export class SupergraphPlanner {
  /** The API schema that clients validate against. */
  readonly schema: GraphQLSchema;
  private readonly supergraphSchema: GraphQLSchema;
  private readonly apiSchema: Schema;
  private readonly queryPlanner: QueryPlanner;
  private readonly plans = new Map<string, PlannedOperation>();

  constructor(readonly supergraphSdl: string) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.apiSchema = supergraph.apiSchema();
    this.schema = this.apiSchema.toGraphQLJSSchema();
    this.queryPlanner = new QueryPlanner(supergraph);
  }

  /**
   * Plans an already-validated operation; plans are cached by query text and operation name, so
   * a subscribe that joins an existing stream does no planning work at all.
   */
  plan(query: string, document: DocumentNode, operationName: string | undefined): PlannedOperation {
    const key = `${operationName ?? ''}\n${query}`;
    let planned = this.plans.get(key);
    if (!planned) {
      planned = {
        queryPlan: this.queryPlanner.buildQueryPlan(operationFromDocument(this.apiSchema, document, { operationName })),
        operationContext: buildOperationContext({ schema: this.schema, operationDocument: document, operationName }),
        perViewer: selectsPerViewerField(this.supergraphSchema, document),
      };
      // Map iteration order is insertion order: dropping the first key evicts the oldest plan.
      if (this.plans.size >= PLAN_CACHE_SIZE) this.plans.delete(this.plans.keys().next().value as string);
      this.plans.set(key, planned);
    }
    return planned;
  }

  execute(
    queryPlan: QueryPlan,
    operationContext: OperationContext,
    serviceMap: ServiceMap,
    requestContext: GatewayGraphQLRequestContext,
  ) {
    return executeQueryPlan(queryPlan, serviceMap, requestContext, operationContext, this.supergraphSchema, this.apiSchema);
  }
}

/**
 * Whether any field the document selects is marked @perViewer in the supergraph (the API schema
 * drops the directive). Fragments the operation does not use count too, which only errs towards
 * resolving per caller.
 */
function selectsPerViewerField(supergraphSchema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(supergraphSchema);
  let found = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        if (typeInfo.getFieldDef()?.astNode?.directives?.some((d) => d.name.value === 'perViewer')) {
          found = true;
          return BREAK;
        }
        return undefined;
      },
    }),
  );
  return found;
}
