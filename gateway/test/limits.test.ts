import { loadConfig } from '@commons/shared';
import { buildSchema, parse } from 'graphql';
import { createOperationLimits } from '../src/limits';

const schema = buildSchema(`
  type Query { channels(first: Int, last: Int): ChannelConnection! }
  type ChannelConnection { edges: [ChannelEdge!]! }
  type ChannelEdge { node: Channel! }
  type Channel { id: ID! name: String! }
`);

// A limit of 1 refuses everything, so every answer carries the operation's cost.
const limits = createOperationLimits(
  loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'test-jwt-secret-0123456789-abcdefghijklmnop', GATEWAY_SECRET: 'test-gateway-secret-0123456789-abcdef', MAX_COST: '1' }),
);

const QUERY = `
  query Page($n: Int = 20, $withName: Boolean!, $other: String) {
    channels(first: $n) { edges { node { id name @include(if: $withName) } } }
  }
  query Other { channels(last: 3) { edges { node { id } } } }`;

function costOf(document: ReturnType<typeof parse>, operationName: string | undefined, variables?: Record<string, unknown>): number | undefined {
  const error = limits.checkCost(schema, document, operationName, variables);
  if (!error) return undefined;
  return Number(/costs (\d+)/.exec(error.message)?.[1]);
}

describe('the cost check', () => {
  it('prices a reused document by the variables that change its cost, as a fresh one does', () => {
    const reused = parse(QUERY);
    const cases: Array<[string, Record<string, unknown> | undefined, number | undefined]> = [
      ['Page', { n: 10, withName: false }, 40],
      ['Page', { n: 100, withName: false }, 400],
      ['Page', { n: 10, withName: true }, 50],
      ['Page', { n: 10, withName: false, other: 'x' }, 40],
      // Absent: the default (20) applies; null: the connection's default page (50).
      ['Page', { withName: false }, 80],
      ['Page', { n: null, withName: false }, 200],
      ['Other', undefined, 12],
      // Variables that do not coerce skip the check (execution answers them), cached or not.
      ['Page', { n: 'ten', withName: false }, undefined],
      ['Page', { n: 10 }, undefined],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [operationName, variables, expected] of cases) {
        expect([operationName, variables, costOf(reused, operationName, variables)]).toEqual([operationName, variables, expected]);
        expect(costOf(parse(QUERY), operationName, variables)).toBe(expected);
      }
    }
  });

  it('prices a document again for another schema', () => {
    const document = parse(`query($n: Int) { channels(first: $n) { edges { node { id } } } }`);
    expect(costOf(document, undefined, { n: 10 })).toBe(40);
    // Here `node` is a plain list, priced at 10 entries.
    const wider = buildSchema(`
      type Query { channels(first: Int): ChannelConnection! }
      type ChannelConnection { edges: [ChannelEdge!]! }
      type ChannelEdge { node: [Channel!]! }
      type Channel { id: ID! }
    `);
    expect(limits.checkCost(wider, document, undefined, { n: 10 })?.message).toMatch(/costs 220\b/);
    expect(costOf(document, undefined, { n: 10 })).toBe(40);
  });
});
