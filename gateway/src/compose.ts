// `npm run compose`: composes the subgraph schemas into gateway/supergraph.graphql.
// Composition happens at build time so a broken schema fails the build, not a running gateway.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { readSubgraphSdl, ROOT, SUBGRAPH_NAMES } from './subgraphs';

export function composeSupergraph(): string {
  const result = composeServices(
    SUBGRAPH_NAMES.map((name) => ({
      name,
      typeDefs: parse(readSubgraphSdl(name)),
      // Placeholders: the gateway takes each subgraph's real URL from its configuration.
      url: `http://${name}.subgraph.invalid/graphql`,
    })),
  );
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `  ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}

if (require.main === module) {
  try {
    const out = path.join(ROOT, 'gateway', 'supergraph.graphql');
    writeFileSync(out, composeSupergraph());
    console.log(`Wrote ${path.relative(process.cwd(), out)}`);
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 1;
  }
}
