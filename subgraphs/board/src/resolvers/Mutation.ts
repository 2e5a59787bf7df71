import type { MutationResolvers } from '../__generated__/resolvers-types';
import { deletePost, editPost, replyToThread } from '../domain/posts';
import { createThread, setThreadState } from '../domain/threads';

export const Mutation: MutationResolvers = {
  createThread: (_root, { input }, ctx) => createThread(ctx, input),
  replyToThread: (_root, { threadId, body }, ctx) => replyToThread(ctx, threadId, body),
  editPost: (_root, { id, body }, ctx) => editPost(ctx, id, body),
  deletePost: (_root, { id }, ctx) => deletePost(ctx, id),
  setThreadState: (_root, { id, pinned, locked }, ctx) => setThreadState(ctx, id, { pinned, locked }),
};
