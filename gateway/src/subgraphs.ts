import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '@commons/shared';

/** The subgraphs in the composition: each one's schema file and where the gateway reaches it. */
export const SUBGRAPH_NAMES = [
  'channel',
  'message',
  'board',
  'voice',
] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export const ROOT = path.resolve(__dirname, '../..');

export function subgraphSchemaPath(name: SubgraphName): string {
  return path.join(ROOT, 'subgraphs', name, 'schema.graphql');
}

export function readSubgraphSdl(name: SubgraphName): string {
  return readFileSync(subgraphSchemaPath(name), 'utf8');
}

export function subgraphUrlsFromConfig(config: Config): Record<SubgraphName, string> {
  return Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, config.subgraphs[name].url])) as Record<SubgraphName, string>;
}
