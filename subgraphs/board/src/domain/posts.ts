import { randomUUID } from 'node:crypto';
import { badInput, conflict, decodeCursor, encodeCursor, forbidden, notFound, toConnection, type Connection, type PageRequest } from '@commons/shared';
import type { Post, PrismaClient, Thread } from '@commons/shared/src/generated/prisma/client';
import type { BoardContext } from '../context';
import { publishPostAdded, publishThreadActivity } from './events';
import { postColumns, threadColumns, unprefix } from './rows';
import { readableThread } from './threads';
import { validateBody } from './validation';

const CURSOR_KIND = 'p';

/** A post's place in its thread, as an opaque cursor. */
export const postCursor = (post: Pick<Post, 'seq'>): string => encodeCursor(CURSOR_KIND, [post.seq]);

/** The `seq` inside a post cursor; BAD_USER_INPUT for anything that is not one. */
export function parsePostCursor(cursor: string, field = 'after'): number {
  const [seq] = decodeCursor(CURSOR_KIND, cursor, 1, field);
  if (!/^\d{1,9}$/.test(seq)) throw badInput('That cursor is not valid here', field);
  return Number(seq);
}

/** The post and its thread, or NOT_FOUND both when missing and when the caller may not read the channel. */
async function readablePost(ctx: BoardContext, id: string): Promise<{ post: Post; thread: Thread }> {
  const post = await ctx.loaders.postById.load(id);
  const thread = post && (await readableThread(ctx, post.threadId));
  if (!post || !thread) throw notFound('Post');
  return { post, thread };
}

/**
 * Replies to a thread as the viewer: members, not in a locked thread (CONFLICT) nor an
 * archived channel (CONFLICT).
 */
export async function replyToThread(ctx: BoardContext, threadId: string, rawBody: string): Promise<Post> {
  const viewer = ctx.access.requireViewer();
  const thread = await readableThread(ctx, threadId);
  if (!thread) throw notFound('Thread');
  const { channel } = await ctx.access.requireMember(thread.channelId);
  const body = validateBody(rawBody);
  if (channel.archivedAt) throw conflict('This channel is archived');
  if (thread.locked) throw conflict('This thread is locked');

  const added = await insertReply(ctx.prisma, { threadId: thread.id, authorId: viewer.id, body });
  // Locked between our read and the insert: the insert saw the lock and stored nothing.
  if (!added) throw conflict('This thread is locked');
  ctx.loaders.threadById.clear(thread.id).prime(thread.id, added.thread);
  await publishPostAdded(ctx, added.post);
  await publishThreadActivity(ctx, added.thread);
  return added.post;
}

/**
 * Stores a reply and bumps its thread in one statement (so one transaction): the UPDATE takes
 * the thread row's lock, increments postCount (which becomes the post's seq: no holes, no
 * duplicates) and moves lastActivityAt forwards, never back, so both stay exact however many
 * replies race. A thread locked meanwhile matches no row and nothing is stored: null.
 */
export async function insertReply(
  prisma: PrismaClient,
  reply: { threadId: string; authorId: string; body: string; at?: Date },
): Promise<{ post: Post; thread: Thread } | null> {
  const at = reply.at ?? new Date();
  const rows = await prisma.$queryRaw<Array<Record<string, unknown>>>`
    WITH bumped AS (
      UPDATE threads
      SET post_count = post_count + 1, last_activity_at = GREATEST(last_activity_at, ${at}::timestamptz)
      WHERE id = ${reply.threadId}::uuid AND NOT locked
      RETURNING *
    ), inserted AS (
      INSERT INTO posts (id, thread_id, seq, author_id, body, created_at)
      SELECT ${randomUUID()}::uuid, bumped.id, bumped.post_count, ${reply.authorId}, ${reply.body}, ${at}::timestamptz
      FROM bumped
      RETURNING *
    )
    SELECT ${postColumns('inserted', 'post.')}, ${threadColumns('bumped', 'thread.')} FROM inserted, bumped`;
  if (rows.length === 0) return null;
  return { post: unprefix<Post>(rows[0], 'post.'), thread: unprefix<Thread>(rows[0], 'thread.') };
}

/**
 * The author edits their post: still a member, the post not deleted and the thread not
 * locked (a lock freezes the discussion), the channel not archived (CONFLICT otherwise).
 */
export async function editPost(ctx: BoardContext, id: string, rawBody: string): Promise<Post> {
  const viewer = ctx.access.requireViewer();
  const { post, thread } = await readablePost(ctx, id);
  const { channel } = await ctx.access.requireMember(thread.channelId);
  if (post.authorId !== viewer.id) throw forbidden('Only the author can edit a post');
  const body = validateBody(rawBody);
  if (post.deletedAt) throw conflict('This post was deleted');
  if (channel.archivedAt) throw conflict('This channel is archived');
  if (thread.locked) throw conflict('This thread is locked');

  // Guarded, so an edit racing a delete cannot bring a deleted body back.
  const { count } = await ctx.prisma.post.updateMany({ where: { id: post.id, deletedAt: null }, data: { body, editedAt: new Date() } });
  if (count === 0) throw conflict('This post was deleted');
  return reloadPost(ctx, post.id);
}

/**
 * Soft-deletes a post: its author, or a channel OWNER/ADMIN (both members). The post keeps
 * its place (and its count in postCount) with the body cleared. Deleting a deleted post
 * returns it unchanged. Allowed in locked threads and archived channels: removing content
 * must stay possible.
 */
export async function deletePost(ctx: BoardContext, id: string): Promise<Post> {
  const viewer = ctx.access.requireViewer();
  const { post, thread } = await readablePost(ctx, id);
  const { role } = await ctx.access.requireMember(thread.channelId);
  if (post.authorId !== viewer.id && role !== 'OWNER' && role !== 'ADMIN') {
    throw forbidden('Only the author or a channel OWNER or ADMIN can delete a post');
  }
  if (post.deletedAt) return post;
  await ctx.prisma.post.updateMany({ where: { id: post.id, deletedAt: null }, data: { body: '', deletedAt: new Date() } });
  return reloadPost(ctx, post.id);
}

async function reloadPost(ctx: BoardContext, id: string): Promise<Post> {
  const post = await ctx.prisma.post.findUniqueOrThrow({ where: { id } });
  ctx.loaders.postById.clear(id).prime(id, post);
  return post;
}

// ---------------------------------------------------------------- Thread.posts pages

/** One page of one thread's posts: what a `postsPage` loader key asks for. */
export interface PostPageKey {
  threadId: string;
  /** The seq of the last post already seen; 0 from the start. */
  afterSeq: number;
  /** Rows to fetch: the page size plus one. */
  take: number;
}

/** Pages of several threads' posts in one query per page size: a keyset scan of (threadId, seq) per key. */
export async function loadPostPages(prisma: PrismaClient, keys: readonly PostPageKey[]): Promise<Post[][]> {
  const results: Post[][] = keys.map(() => []);
  const groups = new Map<number, number[]>();
  keys.forEach((key, i) => groups.set(key.take, [...(groups.get(key.take) ?? []), i]));
  await Promise.all(
    [...groups.entries()].map(async ([take, indexes]) => {
      const batch = indexes.map((i) => keys[i]);
      const rows = await prisma.$queryRaw<Array<Post & { key: number }>>`
        SELECT k.n::int AS "key", ${postColumns('p')}
        FROM unnest(${batch.map((k) => k.threadId)}::uuid[], ${batch.map((k) => k.afterSeq)}::int[])
          WITH ORDINALITY AS k(thread_id, after_seq, n)
        CROSS JOIN LATERAL (
          SELECT * FROM posts
          WHERE posts.thread_id = k.thread_id AND posts.seq > k.after_seq
          ORDER BY posts.seq
          LIMIT ${take}
        ) p
        ORDER BY k.n, p.seq`;
      for (const { key, ...post } of rows) results[indexes[key - 1]].push(post);
    }),
  );
  return results;
}

/** A connection from a page's rows (fetched with one extra). */
export const postConnection = (rows: Post[], page: PageRequest): Connection<Post> => toConnection(rows, page, postCursor);
