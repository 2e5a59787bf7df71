import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { Config } from '@commons/shared';
import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';

const SUGGESTION = /\s*Did you mean .*$/;

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
    costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true, flattenFragments: true },
    // Suggestions ("Did you mean ...?") map the schema for someone without introspection.
    blockFieldSuggestion: { enabled: config.production },
  }).protect();

  const rules = [...specifiedRules, ...protection.validationRules];

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

  return { apollo: protection, parseOptions: { maxTokens: limits.maxTokens }, checkOperation };
}
