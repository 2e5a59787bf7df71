/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment ChannelSummary on Channel {\n  id\n  name\n  topic\n  kind\n  visibility\n  memberCount\n  archivedAt\n  viewerMembership {\n    role\n  }\n}\n\nquery JoinedChannels {\n  channels(first: 50, joined: true) {\n    edges {\n      node {\n        ...ChannelSummary\n      }\n    }\n  }\n}\n\nquery DiscoverChannels {\n  channels(first: 25, joined: false) {\n    edges {\n      node {\n        ...ChannelSummary\n      }\n    }\n  }\n}\n\nmutation CreateChannel($input: CreateChannelInput!) {\n  createChannel(input: $input) {\n    ...ChannelSummary\n  }\n}\n\nmutation JoinChannel($channelId: ID!) {\n  joinChannel(channelId: $channelId) {\n    role\n    channel {\n      ...ChannelSummary\n    }\n  }\n}": typeof types.ChannelSummaryFragmentDoc,
    "fragment MessageItem on Message {\n  id\n  body\n  createdAt\n  editedAt\n  deletedAt\n  clientId\n  cursor\n  author {\n    id\n    handle\n    displayName\n  }\n  reactions {\n    ...ReactionItem\n  }\n}\n\nquery ChannelHistory($id: ID!, $last: Int!, $before: String) {\n  channel(id: $id) {\n    ...ChannelSummary\n    messages(last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          ...MessageItem\n        }\n      }\n      pageInfo {\n        hasPreviousPage\n        startCursor\n      }\n    }\n  }\n}\n\nmutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageItem\n  }\n}\n\nsubscription MessageAdded($channelId: ID!, $after: String) {\n  messageAdded(channelId: $channelId, after: $after) {\n    ...MessageItem\n  }\n}\n\nsubscription MessageUpdated($channelId: ID!) {\n  messageUpdated(channelId: $channelId) {\n    ...MessageItem\n  }\n}": typeof types.MessageItemFragmentDoc,
    "fragment ReactionItem on ReactionSummary {\n  emoji\n  count\n  viewerHasReacted\n}\n\nmutation AddReaction($messageId: ID!, $emoji: String!) {\n  addReaction(messageId: $messageId, emoji: $emoji) {\n    id\n    reactions {\n      ...ReactionItem\n    }\n  }\n}\n\nmutation RemoveReaction($messageId: ID!, $emoji: String!) {\n  removeReaction(messageId: $messageId, emoji: $emoji) {\n    id\n    reactions {\n      ...ReactionItem\n    }\n  }\n}": typeof types.ReactionItemFragmentDoc,
    "query Me {\n  me {\n    id\n    handle\n    displayName\n  }\n}": typeof types.MeDocument,
    "mutation SendTyping($channelId: ID!) {\n  sendTyping(channelId: $channelId)\n}\n\nsubscription Typing($channelId: ID!) {\n  typing(channelId: $channelId) {\n    channelId\n    at\n    user {\n      id\n      displayName\n    }\n  }\n}": typeof types.SendTypingDocument,
};
const documents: Documents = {
    "fragment ChannelSummary on Channel {\n  id\n  name\n  topic\n  kind\n  visibility\n  memberCount\n  archivedAt\n  viewerMembership {\n    role\n  }\n}\n\nquery JoinedChannels {\n  channels(first: 50, joined: true) {\n    edges {\n      node {\n        ...ChannelSummary\n      }\n    }\n  }\n}\n\nquery DiscoverChannels {\n  channels(first: 25, joined: false) {\n    edges {\n      node {\n        ...ChannelSummary\n      }\n    }\n  }\n}\n\nmutation CreateChannel($input: CreateChannelInput!) {\n  createChannel(input: $input) {\n    ...ChannelSummary\n  }\n}\n\nmutation JoinChannel($channelId: ID!) {\n  joinChannel(channelId: $channelId) {\n    role\n    channel {\n      ...ChannelSummary\n    }\n  }\n}": types.ChannelSummaryFragmentDoc,
    "fragment MessageItem on Message {\n  id\n  body\n  createdAt\n  editedAt\n  deletedAt\n  clientId\n  cursor\n  author {\n    id\n    handle\n    displayName\n  }\n  reactions {\n    ...ReactionItem\n  }\n}\n\nquery ChannelHistory($id: ID!, $last: Int!, $before: String) {\n  channel(id: $id) {\n    ...ChannelSummary\n    messages(last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          ...MessageItem\n        }\n      }\n      pageInfo {\n        hasPreviousPage\n        startCursor\n      }\n    }\n  }\n}\n\nmutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageItem\n  }\n}\n\nsubscription MessageAdded($channelId: ID!, $after: String) {\n  messageAdded(channelId: $channelId, after: $after) {\n    ...MessageItem\n  }\n}\n\nsubscription MessageUpdated($channelId: ID!) {\n  messageUpdated(channelId: $channelId) {\n    ...MessageItem\n  }\n}": types.MessageItemFragmentDoc,
    "fragment ReactionItem on ReactionSummary {\n  emoji\n  count\n  viewerHasReacted\n}\n\nmutation AddReaction($messageId: ID!, $emoji: String!) {\n  addReaction(messageId: $messageId, emoji: $emoji) {\n    id\n    reactions {\n      ...ReactionItem\n    }\n  }\n}\n\nmutation RemoveReaction($messageId: ID!, $emoji: String!) {\n  removeReaction(messageId: $messageId, emoji: $emoji) {\n    id\n    reactions {\n      ...ReactionItem\n    }\n  }\n}": types.ReactionItemFragmentDoc,
    "query Me {\n  me {\n    id\n    handle\n    displayName\n  }\n}": types.MeDocument,
    "mutation SendTyping($channelId: ID!) {\n  sendTyping(channelId: $channelId)\n}\n\nsubscription Typing($channelId: ID!) {\n  typing(channelId: $channelId) {\n    channelId\n    at\n    user {\n      id\n      displayName\n    }\n  }\n}": types.SendTypingDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment ChannelSummary on Channel {\n  id\n  name\n  topic\n  kind\n  visibility\n  memberCount\n  archivedAt\n  viewerMembership {\n    role\n  }\n}\n\nquery JoinedChannels {\n  channels(first: 50, joined: true) {\n    edges {\n      node {\n        ...ChannelSummary\n      }\n    }\n  }\n}\n\nquery DiscoverChannels {\n  channels(first: 25, joined: false) {\n    edges {\n      node {\n        ...ChannelSummary\n      }\n    }\n  }\n}\n\nmutation CreateChannel($input: CreateChannelInput!) {\n  createChannel(input: $input) {\n    ...ChannelSummary\n  }\n}\n\nmutation JoinChannel($channelId: ID!) {\n  joinChannel(channelId: $channelId) {\n    role\n    channel {\n      ...ChannelSummary\n    }\n  }\n}"): (typeof documents)["fragment ChannelSummary on Channel {\n  id\n  name\n  topic\n  kind\n  visibility\n  memberCount\n  archivedAt\n  viewerMembership {\n    role\n  }\n}\n\nquery JoinedChannels {\n  channels(first: 50, joined: true) {\n    edges {\n      node {\n        ...ChannelSummary\n      }\n    }\n  }\n}\n\nquery DiscoverChannels {\n  channels(first: 25, joined: false) {\n    edges {\n      node {\n        ...ChannelSummary\n      }\n    }\n  }\n}\n\nmutation CreateChannel($input: CreateChannelInput!) {\n  createChannel(input: $input) {\n    ...ChannelSummary\n  }\n}\n\nmutation JoinChannel($channelId: ID!) {\n  joinChannel(channelId: $channelId) {\n    role\n    channel {\n      ...ChannelSummary\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment MessageItem on Message {\n  id\n  body\n  createdAt\n  editedAt\n  deletedAt\n  clientId\n  cursor\n  author {\n    id\n    handle\n    displayName\n  }\n  reactions {\n    ...ReactionItem\n  }\n}\n\nquery ChannelHistory($id: ID!, $last: Int!, $before: String) {\n  channel(id: $id) {\n    ...ChannelSummary\n    messages(last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          ...MessageItem\n        }\n      }\n      pageInfo {\n        hasPreviousPage\n        startCursor\n      }\n    }\n  }\n}\n\nmutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageItem\n  }\n}\n\nsubscription MessageAdded($channelId: ID!, $after: String) {\n  messageAdded(channelId: $channelId, after: $after) {\n    ...MessageItem\n  }\n}\n\nsubscription MessageUpdated($channelId: ID!) {\n  messageUpdated(channelId: $channelId) {\n    ...MessageItem\n  }\n}"): (typeof documents)["fragment MessageItem on Message {\n  id\n  body\n  createdAt\n  editedAt\n  deletedAt\n  clientId\n  cursor\n  author {\n    id\n    handle\n    displayName\n  }\n  reactions {\n    ...ReactionItem\n  }\n}\n\nquery ChannelHistory($id: ID!, $last: Int!, $before: String) {\n  channel(id: $id) {\n    ...ChannelSummary\n    messages(last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          ...MessageItem\n        }\n      }\n      pageInfo {\n        hasPreviousPage\n        startCursor\n      }\n    }\n  }\n}\n\nmutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageItem\n  }\n}\n\nsubscription MessageAdded($channelId: ID!, $after: String) {\n  messageAdded(channelId: $channelId, after: $after) {\n    ...MessageItem\n  }\n}\n\nsubscription MessageUpdated($channelId: ID!) {\n  messageUpdated(channelId: $channelId) {\n    ...MessageItem\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment ReactionItem on ReactionSummary {\n  emoji\n  count\n  viewerHasReacted\n}\n\nmutation AddReaction($messageId: ID!, $emoji: String!) {\n  addReaction(messageId: $messageId, emoji: $emoji) {\n    id\n    reactions {\n      ...ReactionItem\n    }\n  }\n}\n\nmutation RemoveReaction($messageId: ID!, $emoji: String!) {\n  removeReaction(messageId: $messageId, emoji: $emoji) {\n    id\n    reactions {\n      ...ReactionItem\n    }\n  }\n}"): (typeof documents)["fragment ReactionItem on ReactionSummary {\n  emoji\n  count\n  viewerHasReacted\n}\n\nmutation AddReaction($messageId: ID!, $emoji: String!) {\n  addReaction(messageId: $messageId, emoji: $emoji) {\n    id\n    reactions {\n      ...ReactionItem\n    }\n  }\n}\n\nmutation RemoveReaction($messageId: ID!, $emoji: String!) {\n  removeReaction(messageId: $messageId, emoji: $emoji) {\n    id\n    reactions {\n      ...ReactionItem\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    id\n    handle\n    displayName\n  }\n}"): (typeof documents)["query Me {\n  me {\n    id\n    handle\n    displayName\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SendTyping($channelId: ID!) {\n  sendTyping(channelId: $channelId)\n}\n\nsubscription Typing($channelId: ID!) {\n  typing(channelId: $channelId) {\n    channelId\n    at\n    user {\n      id\n      displayName\n    }\n  }\n}"): (typeof documents)["mutation SendTyping($channelId: ID!) {\n  sendTyping(channelId: $channelId)\n}\n\nsubscription Typing($channelId: ID!) {\n  typing(channelId: $channelId) {\n    channelId\n    at\n    user {\n      id\n      displayName\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;