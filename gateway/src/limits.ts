import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { Config } from '@commons/shared';
import {
  getNamedType,
  GraphQLError,
  isCompositeType,
  isListType,
  isNonNullType,
  parse,
  specifiedRules,
  validate,
  visit,
  type ASTNode,
  type DocumentNode,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';

/** What an unpaged list is assumed to hold, for the cost estimate. */
const UNPAGED_LIST_SIZE = 10;
/** The page size a connection field serves when the client names none. */
const DEFAULT_PAGE_SIZE = 50;

const isList = (type: GraphQLOutputType): boolean => isListType(isNonNullType(type) ? type.ofType : type);

/**
 * A field costs 1 plus its selection, times how many it can return: `first`/`last` (variables
 * included, which a validation rule cannot see) for connections, a fixed guess for plain lists.
 */
const pageAwareEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  // Introspection (Sandbox's schema query) is priced at nothing: limited by depth and tokens.
  if (field.name.startsWith('__')) return 0;
  const size = Number(args.first ?? args.last ?? NaN);
  const isConnection = getNamedType(field.type).name.endsWith('Connection');
  // A connection's `edges` hold the page the connection field has already been priced for.
  const inConnection = type.name.endsWith('Connection');
  const multiplier = Number.isFinite(size)
    ? size
    : isConnection
      ? DEFAULT_PAGE_SIZE
      : isList(field.type) && !inConnection
        ? UNPAGED_LIST_SIZE
        : 1;
  return (isCompositeType(getNamedType(field.type)) ? 1 + childComplexity : 1) * Math.max(1, multiplier);
};

const SUGGESTION = /\s*Did you mean .*$/;

/** The arguments pageAwareEstimator reads: the variables in them change an operation's cost. */
const PAGE_SIZE_ARGUMENTS = new Set(['first', 'last']);
const MAX_COSTS_PER_DOCUMENT = 64;

/** The variables a document's cost depends on: page sizes, and `@skip`/`@include` conditions. */
function pricingVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  const collect = (value: ASTNode) => visit(value, { Variable: (variable) => void names.add(variable.name.value) });
  visit(document, {
    Field: (field) => field.arguments?.forEach((arg) => PAGE_SIZE_ARGUMENTS.has(arg.name.value) && collect(arg.value)),
    Directive: (directive) => directive.arguments?.forEach((arg) => collect(arg.value)),
  });
  return [...names];
}

/**
 * The operation limits (depth, aliases, tokens, directives, cost) as graphql-armor applies
 * them to Apollo Server, plus the same rules for graphql-ws, which does not go through
 * Apollo's request pipeline: one configuration, two transports.
 */
export function createOperationLimits(config: Config) {
  const { limits } = config;
  const protection = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true },
    maxAliases: { n: limits.maxAliases },
    // Token limits go to graphql-js's own parser (Apollo's parseOptions, and parse() below):
    // armor's parser plugin answers plain syntax errors with a 500.
    maxTokens: { enabled: false },
    maxDirectives: { n: limits.maxDirectives },
    // Cost is computed with the request's variables below (costPlugin, checkCost): armor's
    // rule sees only the document, so `first: $n` would pass unpriced.
    costLimit: { enabled: false },
    // Suggestions ("Did you mean ...?") map the schema for someone without introspection.
    blockFieldSuggestion: { enabled: config.production },
  }).protect();

  const rules = [...specifiedRules, ...protection.validationRules];

  /**
   * Costs already computed, per document (Apollo reuses one per query text, so this lives as long
   * as its document cache keeps it) and per the values of the variables that price it: the
   * complexity walk is a visible share of a request's CPU.
   */
  const pricedDocuments = new WeakMap<DocumentNode, { schema: GraphQLSchema; pricedBy: string[]; costs: Map<string, number> }>();

  /**
   * Throws when the variables do not coerce (nothing is cached then). A hit looks only at the
   * variables that price the operation: execution checks the others.
   */
  function costOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown> | undefined) {
    let priced = pricedDocuments.get(document);
    if (priced?.schema !== schema) {
      priced = { schema, pricedBy: pricingVariables(document), costs: new Map() };
      pricedDocuments.set(document, priced);
    }
    // An absent variable (its default applies) and an explicit null price differently.
    const key = JSON.stringify([operationName, priced.pricedBy.map((name) => (variables?.[name] === undefined ? [] : [variables[name]]))]);
    let cost = priced.costs.get(key);
    if (cost === undefined) {
      cost = getComplexity({ schema, query: document, operationName, variables, estimators: [pageAwareEstimator] });
      if (priced.costs.size >= MAX_COSTS_PER_DOCUMENT) priced.costs.delete(priced.costs.keys().next().value!);
      priced.costs.set(key, cost);
    }
    return cost;
  }

  /** Parses and validates one operation for graphql-ws, with the HTTP path's limits and codes. */
  function checkOperation(schema: GraphQLSchema, query: string): { document: DocumentNode } | { errors: GraphQLError[] } {
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: limits.maxTokens });
    } catch (err) {
      return { errors: [new GraphQLError((err as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] };
    }
    const errors = validate(schema, document, rules);
    if (errors.length === 0) return { document };
    return {
      errors: errors.map(
        (e) =>
          new GraphQLError(config.production ? e.message.replace(SUGGESTION, '') : e.message, {
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          }),
      ),
    };
  }

  /** The operation's estimated cost, or the error that refuses it. */
  function checkCost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | undefined,
    variables: Record<string, unknown> | undefined,
  ): GraphQLError | undefined {
    let cost: number;
    try {
      cost = costOf(schema, document, operationName, variables);
    } catch {
      // Variables that do not coerce: execution answers them with BAD_USER_INPUT.
      return undefined;
    }
    if (cost <= limits.maxCost) return undefined;
    return new GraphQLError(`This operation costs ${cost}, over the limit of ${limits.maxCost}: ask for smaller pages or fewer fields`, {
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
    });
  }

  const costPlugin: ApolloServerPlugin = {
    async requestDidStart({ schema }) {
      return {
        async didResolveOperation({ document, operationName, request }) {
          const error = checkCost(schema, document, operationName ?? undefined, request.variables);
          if (error) throw error;
        },
      };
    },
  };

  return {
    apollo: { ...protection, plugins: [...protection.plugins, costPlugin] },
    parseOptions: { maxTokens: limits.maxTokens },
    checkOperation,
    checkCost,
  };
}
