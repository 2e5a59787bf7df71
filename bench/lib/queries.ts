// The bench's operations, pruned to what the composed API schema has when the bench runs: the
// subgraphs are still growing, so a field the contract promises but the graph lacks is dropped
// (and the report lists what was dropped) rather than failing the run.
import { Supergraph } from '@apollo/federation-internals';
import { getNamedType, isObjectType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';

export type Shape = { [field: string]: true | Shape };

export function apiSchema(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

/** The selection set for `shape` on `type`, without the fields the schema lacks. */
function select(type: GraphQLObjectType, shape: Shape, path: string, dropped: string[], indent: string): string {
  const lines: string[] = [];
  for (const [key, sub] of Object.entries(shape)) {
    const name = key.split('(')[0].trim();
    const field = type.getFields()[name];
    if (!field) {
      dropped.push(`${path}.${name}`);
      continue;
    }
    if (sub === true) {
      lines.push(`${indent}${key}`);
      continue;
    }
    const named = getNamedType(field.type);
    if (!isObjectType(named)) {
      dropped.push(`${path}.${name} (not an object)`);
      continue;
    }
    const inner = select(named, sub, `${path}.${name}`, dropped, indent + '  ');
    if (inner) lines.push(`${indent}${key} {\n${inner}\n${indent}}`);
    else dropped.push(`${path}.${name} (nothing left to select)`);
  }
  return lines.join('\n');
}

export interface BuiltOperation {
  query: string;
  dropped: string[];
}

export function buildOperation(
  schema: GraphQLSchema,
  kind: 'query' | 'mutation' | 'subscription',
  name: string,
  variables: Record<string, string>,
  shape: Shape,
): BuiltOperation {
  const root = kind === 'query' ? schema.getQueryType() : kind === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root) throw new Error(`The schema has no ${kind} type`);
  const dropped: string[] = [];
  const body = select(root, shape, root.name, dropped, '  ');
  if (!body) throw new Error(`${name}: nothing of it exists in the schema (dropped ${dropped.join(', ')})`);
  // Declare only the variables the remaining text uses.
  const used = Object.entries(variables).filter(([v]) => new RegExp(`\\$${v}\\b`).test(body));
  const defs = used.length ? `(${used.map(([v, t]) => `$${v}: ${t}`).join(', ')})` : '';
  return { query: `${kind} ${name}${defs} {\n${body}\n}`, dropped };
}

/** Q1: one entity, owned by one subgraph. */
export const Q1_SHAPE: Shape = { 'user(id: $id)': { id: true, handle: true, displayName: true, avatarUrl: true } };

/**
 * Q2: what a chat client asks when it opens a channel (after api-contract.graphql): the channel
 * with its members, the latest $n messages with authors, replies and reactions, and whatever
 * the other subgraphs add to a channel.
 */
export const Q2_SHAPE: Shape = {
  'channel(id: $channelId)': {
    id: true,
    name: true,
    topic: true,
    kind: true,
    memberCount: true,
    viewerMembership: { role: true },
    unreadCount: true,
    lastReadMessageId: true,
    'members(first: $n)': {
      pageInfo: { hasNextPage: true, endCursor: true },
      edges: { cursor: true, node: { role: true, joinedAt: true, user: { id: true, handle: true, displayName: true, avatarUrl: true } } },
    },
    'messages(last: $n)': {
      pageInfo: { hasPreviousPage: true, startCursor: true },
      edges: {
        cursor: true,
        node: {
          id: true,
          body: true,
          createdAt: true,
          editedAt: true,
          deletedAt: true,
          pinned: true,
          author: { id: true, displayName: true, avatarUrl: true },
          replyTo: { id: true, body: true, author: { id: true, displayName: true } },
          reactions: { emoji: true, count: true, viewerHasReacted: true },
        },
      },
    },
    pinnedMessages: { id: true },
    voiceParticipants: { id: true, muted: true, speaking: true, user: { id: true, displayName: true } },
    'threads(first: 5)': { edges: { node: { id: true, title: true, postCount: true, lastActivityAt: true, author: { id: true, displayName: true } } } },
  },
};

export const W1_SHAPE: Shape = { 'sendMessage(input: $input)': { id: true, cursor: true, createdAt: true } };

/** S1: a live message with fields from the channel subgraph, so every event runs the rest of the plan. */
export const S1_SHAPE: Shape = {
  'messageAdded(channelId: $channelId)': { id: true, body: true, createdAt: true, author: { id: true, displayName: true }, channel: { id: true, name: true } },
};

/** `shape` without the field at `path` (list indices skipped; argument-carrying keys matched by name). */
export function withoutPath(shape: Shape, path: Array<string | number>): Shape {
  const names = path.filter((p): p is string => typeof p === 'string');
  const strip = (s: Shape, i: number): Shape => {
    const out: Shape = {};
    for (const [key, sub] of Object.entries(s)) {
      const name = key.split('(')[0].trim();
      if (name !== names[i]) out[key] = sub;
      else if (i < names.length - 1 && sub !== true) out[key] = strip(sub, i + 1);
      // else: the field itself, dropped
    }
    return out;
  };
  return strip(shape, 0);
}
