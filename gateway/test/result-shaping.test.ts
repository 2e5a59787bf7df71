import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { computeResponse as apolloComputeResponse } from '@apollo/gateway/dist/resultShaping';
import { operationFromDocument, Supergraph, type FieldSelection, type Schema } from '@apollo/federation-internals';
import {
  isAbstractType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  typeFromAST,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { composeSupergraph } from '../src/compose';
import { computeResponse } from '../src/result-shaping';

// Differential tests: the gateway's compiled result shaping against @apollo/gateway's own
// computeResponse, on the same operations and the same subgraph data, for data that is right
// and for data that is wrong in every way a subgraph can get it wrong (nulls where they may not
// be, values of the wrong type, unknown enum values and __typenames, missing fields). Both must
// give the same JSON, the same errors, or throw the same assertion.

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed by its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = ReturnType<typeof rng>;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];

/** Subgraph-like data for a selection set: mostly right, sometimes wrong in one of many ways. */
function generate(schema: GraphQLSchema, document: DocumentNode, random: Random, faults: number): unknown {
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const wrongValue = () => pick(random, ['oops', 42, -7, 1.5, 1e21, true, {}, [], 'Nope']);
  const value = (type: GraphQLOutputType, selectionSet: SelectionSetNode | undefined, depth: number): unknown => {
    if (random() < faults) return random() < 0.6 ? null : wrongValue();
    if (isNonNullType(type)) return value(type.ofType, selectionSet, depth);
    if (isListType(type)) return Array.from({ length: depth > 4 ? 0 : Math.floor(random() * 4) }, () => value(type.ofType, selectionSet, depth + 1));
    if (isScalarType(type)) {
      switch (type.name) {
        case 'Int':
          return Math.floor(random() * 1000) - 500;
        case 'Float':
          return random() * 100;
        case 'Boolean':
          return random() < 0.5;
        default:
          return `s${Math.floor(random() * 1000)}`;
      }
    }
    if (isEnumType(type)) return random() < faults ? 'NOT_A_VALUE' : pick(random, type.getValues()).value;
    const concrete = isAbstractType(type) ? pick(random, schema.getPossibleTypes(type)) : type;
    const object: Record<string, unknown> = Object.create(null);
    if (isAbstractType(type) || random() < 0.5) object.__typename = random() < faults ? 'NotAType' : concrete.name;
    fill(object, concrete, selectionSet!, depth);
    return object;
  };
  const fill = (object: Record<string, unknown>, type: GraphQLNamedType, selectionSet: SelectionSetNode, depth: number) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const key = selection.alias?.value ?? name;
        if (name === '__typename') {
          if (random() < 0.7) object[key] = random() < faults ? 'NotAType' : type.name;
          continue;
        }
        if (name.startsWith('__') || !isObjectType(type)) continue;
        if (random() < faults / 2) continue;
        const field = type.getFields()[name];
        if (field) object[key] = value(field.type, selection.selectionSet, depth + 1);
      } else {
        const condition = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition : fragments.get(selection.name.value)!.typeCondition;
        const selections = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value)!.selectionSet;
        const conditionType = condition && typeFromAST(schema, condition);
        if (!conditionType || conditionType === type || (isAbstractType(conditionType) && schema.isSubType(conditionType, type as never))) {
          fill(object, type, selections, depth);
        }
      }
    }
  };
  const root = schema.getQueryType()!;
  const data: Record<string, unknown> = Object.create(null);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)!;
  fill(data, root, operation.selectionSet, 0);
  return data;
}

/** The same call to both implementations, as JSON and errors, or the assertion thrown. */
function bothShapes(apiSchema: Schema, document: DocumentNode, input: unknown, variables: Record<string, unknown>) {
  const run = (implementation: typeof computeResponse) => {
    const operation = operationFromDocument(apiSchema, document, { validate: false });
    try {
      const { data, errors } = implementation({
        operation,
        variables,
        // A JSON round trip, as the data arrives: `__proto__` stays a key.
        input: JSON.parse(JSON.stringify(input)) as Record<string, unknown>,
        introspectionHandling: (selection: FieldSelection) => ({ introspected: selection.element.responseName() }),
      });
      return { data: JSON.stringify(data), errors: errors.map((e) => ({ message: e.message, path: e.path, code: e.extensions.code })) };
    } catch (err) {
      return { threw: (err as Error).message };
    }
  };
  return { ours: run(computeResponse), apollo: run(apolloComputeResponse as unknown as typeof computeResponse) };
}

function fuzz(apiSchema: Schema, query: string, cases: number, variablesOf: (random: Random) => Record<string, unknown> = () => ({})) {
  const document = parse(query);
  const graphqlSchema = apiSchema.toGraphQLJSSchema();
  const outcomes = { same: 0, withErrors: 0, nulled: 0, threw: 0 };
  for (let seed = 1; seed <= cases; seed++) {
    const random = rng(seed);
    const faults = seed % 4 === 0 ? 0 : pick(random, [0.01, 0.05, 0.15]);
    const input = generate(graphqlSchema, document, random, faults);
    const { ours, apollo } = bothShapes(apiSchema, document, input, variablesOf(random));
    if (JSON.stringify(ours) !== JSON.stringify(apollo)) {
      throw new Error(`seed ${seed} differs:\ninput ${JSON.stringify(input)}\nours ${JSON.stringify(ours)}\napollo ${JSON.stringify(apollo)}`);
    }
    outcomes.same++;
    if ('threw' in ours) outcomes.threw++;
    else {
      if (ours.errors.length) outcomes.withErrors++;
      if (ours.data === 'null') outcomes.nulled++;
    }
  }
  return outcomes;
}

const EXAMPLE_SUBGRAPHS = [
  {
    name: 'a',
    typeDefs: parse(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
      scalar DateTime
      enum Mood { HAPPY SAD }
      interface Node { id: ID! }
      type Person implements Node @key(fields: "id") { id: ID! name: String! mood: Mood friends: [Person!] born: DateTime age: Int score: Float }
      type Robot implements Node @key(fields: "id") { id: ID! model: String! mood: Mood! }
      union Thing = Person | Robot
      type Query {
        node(id: ID!): Node
        things: [Thing]!
        people: [[Person!]]
        me: Person!
        count: Int!
      }
    `),
  },
  {
    name: 'b',
    typeDefs: parse(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
      type Person @key(fields: "id") { id: ID! pets: [String!]! rating: Int! }
    `),
  },
];

describe('the example schema: interfaces, unions, enums, custom scalars, nested lists', () => {
  const composed = composeServices(EXAMPLE_SUBGRAPHS.map((s) => ({ ...s, url: `http://${s.name}.invalid` })));
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  const apiSchema = Supergraph.build(composed.supergraphSdl).apiSchema();

  it('shapes like @apollo/gateway: aliases, fragments on interfaces and unions, __typename, @skip/@include', () => {
    const query = `
      query($skipName: Boolean!, $withPets: Boolean!) {
        __typename
        kind: __typename
        count
        me { id name @skip(if: $skipName) alias: name mood born age score pets @include(if: $withPets) rating friends { id name friends { id } } }
        tricky: me { __proto__: name constructor: id toString: age hasOwnProperty: friends { __proto__: id } }
        people { id name ...PersonBits }
        node(id: "1") { __typename id ... on Person { name mood ...PersonBits } ... on Robot { model mood } }
        things {
          __typename
          ... on Node { id }
          ... on Person { name friends { name } }
          ... on Robot { model }
          ... @include(if: $withPets) { ... on Person { pets } }
          ... on Robot @skip(if: true) { mood }
        }
      }
      fragment PersonBits on Person { mood rating pets }
    `;
    const outcomes = fuzz(apiSchema, query, 600, (random) => ({ skipName: random() < 0.5, withPets: random() < 0.5 }));
    // The generator reached every kind of outcome, not only the happy path.
    expect(outcomes.withErrors).toBeGreaterThan(50);
    expect(outcomes.nulled).toBeGreaterThan(10);
    expect(outcomes.same).toBe(600);
  });

  it('merges a field selected twice into one value, as @apollo/gateway does', () => {
    const query = `{ me { id friends { id } friends { name } ... on Person { friends { mood } } } }`;
    expect(fuzz(apiSchema, query, 200).same).toBe(200);
  });

  it('hands introspection fields to the gateway, and answers null data for null input', () => {
    const document = parse(`{ __schema { queryType { name } } __type(name: "Person") { name } count }`);
    const { ours, apollo } = bothShapes(apiSchema, document, { count: 3 }, {});
    expect(ours).toEqual(apollo);
    expect(JSON.parse((ours as { data: string }).data)).toEqual({ __schema: { introspected: '__schema' }, __type: { introspected: '__type' }, count: 3 });
    const empty = bothShapes(apiSchema, document, null, {});
    expect(empty.ours).toEqual(empty.apollo);
  });

  it('throws the same assertion for a variable of @skip that is not a boolean', () => {
    const document = parse(`query($s: Boolean!) { count @skip(if: $s) }`);
    const { ours, apollo } = bothShapes(apiSchema, document, { count: 1 }, { s: 'yes' });
    expect(ours).toEqual(apollo);
    expect(ours).toHaveProperty('threw');
  });
});

describe("this product's schema", () => {
  const apiSchema = Supergraph.build(composeSupergraph()).apiSchema();
  const graphqlSchema = apiSchema.toGraphQLJSSchema();

  it('shapes a chat page like @apollo/gateway, faults and all', () => {
    const channel = graphqlSchema.getType('Channel');
    expect(channel).toBeDefined();
    const query = `
      query($id: ID!, $n: Int) {
        channel(id: $id) {
          id name topic kind memberCount viewerMembership { role }
          members(first: $n) { pageInfo { hasNextPage endCursor } edges { cursor node { role joinedAt user { id handle displayName avatarUrl } } } }
          messages(last: $n) {
            pageInfo { hasPreviousPage startCursor }
            edges { cursor node { id body createdAt editedAt pinned author { id displayName } replyTo { id author { displayName } } reactions { emoji count viewerHasReacted } } }
          }
        }
      }
    `;
    const outcomes = fuzz(apiSchema, query, 400, () => ({ id: '1', n: 50 }));
    expect(outcomes.withErrors).toBeGreaterThan(30);
    expect(outcomes.same).toBe(400);
  });
});

// Jest's module registry keeps @apollo/federation-internals' export getters, so the memoized
// operations are checked in a plain node process, loaded as gateway/src/index.ts loads them.
const INSTALLED = `
require('@commons/shared');
require('./gateway/src/server');
const { installResultShaping, computeResponse } = require('./gateway/src/result-shaping');
const { operationsMemoized } = installResultShaping();
installResultShaping();
const from = { paths: [require.resolve('@apollo/gateway')] };
const shaping = require(require.resolve('@apollo/gateway/dist/resultShaping', from));
const internals = require(require.resolve('@apollo/federation-internals', from));
const { parse, Kind } = require('graphql');
const api = internals.Supergraph.build(require('./gateway/src/compose').composeSupergraph()).apiSchema();
const parsed = parse('query Q($id: ID!) { channel(id: $id) { ...F } } fragment F on Channel { name }');
const [query, fragment] = parsed.definitions;
const other = parse('fragment F on Channel { topic }').definitions[0];
// As executeQueryPlan calls it: a new document around the cached definitions, unvalidated.
const build = (definitions, options = { validate: false }) => internals.operationFromDocument(api, { kind: Kind.DOCUMENT, definitions }, options);
const first = build([query, fragment]);
process.stdout.write(JSON.stringify({
  operationsMemoized,
  shapingIsOurs: shaping.computeResponse === computeResponse,
  sameDefinitionsSameOperation: build([query, fragment]) === first,
  otherFragmentOtherOperation: build([query, other]) !== first && build([query, other]).toString().includes('topic'),
  validatedCallsNotMemoized: build([query, fragment], { validate: true }) !== build([query, fragment], { validate: true }),
  stillWorks: first.toString().includes('name'),
}));
`;

describe('installed in a plain node process', () => {
  it('shapes with the compiled plans and builds each cached operation once', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', INSTALLED], { cwd: path.resolve(__dirname, '..', '..'), encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(out)).toEqual({
      operationsMemoized: true,
      shapingIsOurs: true,
      sameDefinitionsSameOperation: true,
      otherFragmentOtherOperation: true,
      validatedCallsNotMemoized: true,
      stillWorks: true,
    });
  });
});
