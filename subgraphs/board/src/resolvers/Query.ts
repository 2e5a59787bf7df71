import type { QueryResolvers } from '../__generated__/resolvers-types';
import { readableThread } from '../domain/threads';

export const Query: QueryResolvers = {
  thread(_root, { id }, ctx) {
    ctx.access.requireViewer();
    return readableThread(ctx, id);
  },
};
