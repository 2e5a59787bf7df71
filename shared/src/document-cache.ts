import type { DocumentNode, GraphQLError, GraphQLSchema } from 'graphql';

export type CheckedDocument = { document: DocumentNode } | { errors: GraphQLError[] };

/** Distinct operations whose parsed and validated documents are kept, as Apollo Server does for HTTP. */
const DOCUMENT_CACHE_SIZE = 1000;

/**
 * Parses and validates (with `check`) once per distinct query text, for graphql-ws, which does
 * both per subscribe: every subscriber of an operation shares one document, and a storm of
 * resubscriptions after a deploy costs a map lookup each. Only accepted documents are kept; the
 * cache is for one schema and starts over when the schema changes.
 */
export function documentCache(check: (schema: GraphQLSchema, query: string) => CheckedDocument) {
  let forSchema: GraphQLSchema | undefined;
  const documents = new Map<string, { document: DocumentNode }>();
  return {
    get(schema: GraphQLSchema, query: string): CheckedDocument {
      if (schema !== forSchema) {
        documents.clear();
        forSchema = schema;
      }
      const hit = documents.get(query);
      if (hit) return hit;
      const checked = check(schema, query);
      if ('errors' in checked) return checked;
      // Map iteration order is insertion order: dropping the first key evicts the oldest.
      if (documents.size >= DOCUMENT_CACHE_SIZE) documents.delete(documents.keys().next().value as string);
      documents.set(query, checked);
      return checked;
    },
  };
}
