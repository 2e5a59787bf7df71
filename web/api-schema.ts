// The client-facing API schema: the composed supergraph without its federation machinery
// (join__ directives, link__ types), i.e. what a client of the gateway can query. Codegen types
// the web client's operations against it, and writes it to web/schema.graphql for editors.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { printSchema } from 'graphql';

const SUPERGRAPH = path.join(__dirname, '..', 'gateway', 'supergraph.graphql');

/** The API schema of `gateway/supergraph.graphql`, as SDL. */
export function apiSchemaSdl(supergraphPath = SUPERGRAPH): string {
  const supergraph = Supergraph.build(readFileSync(supergraphPath, 'utf8'));
  return printSchema(supergraph.apiSchema().toGraphQLJSSchema());
}
