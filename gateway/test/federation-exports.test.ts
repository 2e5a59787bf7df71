import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

// Jest loads modules through its own registry, where the swap does nothing: the check runs in a
// plain node process, loading the modules in the order gateway/src/index.ts does, then composing
// the supergraph and planning a federated page, which run through every part of the package.
const CHILD = `
require('@commons/shared');
require('./gateway/src/server');
const { federationExportsFlattened, staleFederationExports } = require('./gateway/src/federation-exports');
const { parse } = require('graphql');
const { Supergraph, operationFromDocument } = require('@apollo/federation-internals');
const { QueryPlanner } = require('@apollo/query-planner');
const { composeSupergraph } = require('./gateway/src/compose');
const supergraph = Supergraph.build(composeSupergraph());
const query = 'query($id: ID!) { channel(id: $id) { name members(first: 5) { edges { node { user { displayName } } } } messages(last: 5) { edges { node { body author { displayName } } } } } }';
const plan = new QueryPlanner(supergraph).buildQueryPlan(operationFromDocument(supergraph.schema, parse(query), { validate: true }));
const seen = require(require.resolve('@apollo/federation-internals', { paths: [require.resolve('@apollo/gateway')] }));
process.stdout.write(JSON.stringify({
  flattened: federationExportsFlattened,
  plainProperty: 'value' in Object.getOwnPropertyDescriptor(seen, 'isCompositeType'),
  stale: staleFederationExports(),
  planned: plan.node !== undefined,
}));
`;

describe("@apollo/federation-internals' exports, flattened for @apollo/gateway", () => {
  it('are plain properties with the same values as the package exports, before and after real use', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', CHILD], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(out)).toEqual({ flattened: true, plainProperty: true, stale: [], planned: true });
  });

  it('are left alone when @apollo/gateway has loaded first (too late to help, so nothing changes)', () => {
    const child = `require('@apollo/gateway'); process.stdout.write(String(require('./gateway/src/federation-exports').federationExportsFlattened));`;
    expect(execFileSync(process.execPath, ['--import', 'tsx', '-e', child], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })).toBe('false');
  });
});
