// The cache keeps one list of messages per channel, oldest first, whatever pages and live
// events it was built from: older pages go in front, live messages at the end, the latest
// page (a refetch) replaces the tail it overlaps.
import { InMemoryCache, type ApolloCache, type FieldMergeFunction, type Reference } from '@apollo/client';
import { MessageItemFragmentDoc, type MessageItemFragment } from './gql/graphql';

interface StoredEdge {
  __typename?: 'MessageEdge';
  cursor: string;
  node: Reference;
}

interface StoredMessages {
  __typename?: 'MessageConnection';
  edges: StoredEdge[];
  pageInfo: { __typename?: 'PageInfo'; hasPreviousPage: boolean; startCursor: string | null };
}

const sameNode = (a: StoredEdge) => (b: StoredEdge) => a.node.__ref === b.node.__ref;

export const mergeMessagePages: FieldMergeFunction<StoredMessages, StoredMessages> = (existing, incoming, { args }) => {
  if (!existing) return incoming;
  const isNew = (edge: StoredEdge) => !existing.edges.some(sameNode(edge));
  if (args?.before) {
    // An older page: everything in it comes before what is here.
    return {
      ...existing,
      edges: [...incoming.edges.filter(isNew), ...existing.edges],
      pageInfo: { ...existing.pageInfo, hasPreviousPage: incoming.pageInfo.hasPreviousPage, startCursor: incoming.pageInfo.startCursor },
    };
  }
  if (args?.after) return { ...existing, edges: [...existing.edges, ...incoming.edges.filter(isNew)] };
  // The latest page. Where it overlaps what is here, it is the truth from its first message on
  // (and keeps the older pages in front of it); with no overlap there is a gap, so start afresh.
  const first = incoming.edges[0];
  const at = first ? existing.edges.findIndex(sameNode(first)) : -1;
  if (at < 0) return incoming;
  return { ...existing, edges: [...existing.edges.slice(0, at), ...incoming.edges] };
};

export function createCache() {
  return new InMemoryCache({
    typePolicies: {
      Channel: { fields: { messages: { keyArgs: false, merge: mergeMessagePages } } },
    },
  });
}

/** Appends a live message to its channel's list, unless the list has it already. */
export function appendMessage(cache: ApolloCache, channelId: string, message: MessageItemFragment): void {
  const node = cache.writeFragment({ fragment: MessageItemFragmentDoc, fragmentName: 'MessageItem', data: message });
  if (!node) return;
  cache.modify<{ messages: StoredMessages }>({
    id: cache.identify({ __typename: 'Channel', id: channelId }),
    fields: {
      messages(existing) {
        const stored = existing as StoredMessages;
        if (stored.edges.some((e) => e.node.__ref === node.__ref)) return stored;
        return { ...stored, edges: [...stored.edges, { __typename: 'MessageEdge', cursor: message.cursor, node }] };
      },
    },
  });
}
