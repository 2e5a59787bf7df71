import type { PostResolvers } from '../__generated__/resolvers-types';
import { readableThread } from '../domain/threads';

export const Post: PostResolvers = {
  /** Null when the post is missing or in a channel the caller cannot read. */
  async __resolveReference(ref, ctx) {
    const post = await ctx.loaders.postById.load(ref.id);
    return post && (await readableThread(ctx, post.threadId)) ? post : null;
  },
  async thread(post, _args, ctx) {
    const thread = await ctx.loaders.threadById.load(post.threadId);
    // A post's thread is never deleted while the post exists (the foreign key cascades).
    if (!thread) throw new Error(`Thread ${post.threadId} of post ${post.id} is missing`);
    return thread;
  },
  author: (post) => ({ id: post.authorId }),
};
