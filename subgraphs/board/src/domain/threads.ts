import { badInput, conflict, decodeCursor, encodeCursor, isUuid, notFound, toConnection, type Connection, type PageRequest } from '@commons/shared';
import { Prisma, type PrismaClient, type Thread } from '@commons/shared/src/generated/prisma/client';
import type { CreateThreadInput, ThreadOrder } from '../__generated__/resolvers-types';
import type { BoardContext } from '../context';
import { publishThreadActivity } from './events';
import { threadColumns } from './rows';
import { normalizeTags, validateBody, validateTitle } from './validation';

/** The thread, or null both when it is missing and when the caller may not read its channel. */
export async function readableThread(ctx: BoardContext, id: string): Promise<Thread | null> {
  const thread = await ctx.loaders.threadById.load(id);
  if (!thread) return null;
  // The role is read alongside the channel, not after it for private channels only, so every
  // thread of a batch is settled in the same turn and their fields (posts) batch together too.
  const [readable] = await Promise.all([ctx.access.canRead(thread.channelId), ctx.access.role(thread.channelId)]);
  return readable ? thread : null;
}

/**
 * Starts a thread as the viewer: members of a FORUM channel that is not archived. The thread
 * and its opening post are stored in one transaction; nothing is stored on bad input.
 */
export async function createThread(ctx: BoardContext, input: CreateThreadInput): Promise<Thread> {
  const viewer = ctx.access.requireViewer();
  const { channel } = await ctx.access.requireMember(input.channelId);
  if (channel.kind !== 'FORUM') throw badInput('Threads live in FORUM channels', 'channelId');
  const title = validateTitle(input.title);
  const body = validateBody(input.body);
  const tags = normalizeTags(input.tags);
  if (channel.archivedAt) throw conflict('This channel is archived');

  const at = new Date();
  const thread = await ctx.prisma.$transaction(async (tx) => {
    const created = await tx.thread.create({
      data: { channelId: channel.id, authorId: viewer.id, title, tags, postCount: 1, createdAt: at, lastActivityAt: at },
    });
    await tx.post.create({ data: { threadId: created.id, seq: 1, authorId: viewer.id, body, createdAt: at } });
    return created;
  });
  await publishThreadActivity(ctx, thread);
  return thread;
}

/** OWNER or ADMIN: pins or unpins, locks or unlocks; an argument left out is left as it is. */
export async function setThreadState(
  ctx: BoardContext,
  id: string,
  state: { pinned?: boolean | null; locked?: boolean | null },
): Promise<Thread> {
  ctx.access.requireViewer();
  const thread = await readableThread(ctx, id);
  if (!thread) throw notFound('Thread');
  const { channel } = await ctx.access.requireMember(thread.channelId, ['OWNER', 'ADMIN']);
  const data = {
    ...(state.pinned == null ? {} : { pinned: state.pinned }),
    ...(state.locked == null ? {} : { locked: state.locked }),
  };
  if (Object.keys(data).length === 0) return thread;
  if (channel.archivedAt) throw conflict('This channel is archived');
  const updated = await ctx.prisma.thread.update({ where: { id: thread.id }, data });
  ctx.loaders.threadById.clear(id).prime(id, updated);
  return updated;
}

// ---------------------------------------------------------------- Channel.threads pages

/** Where a thread sits in a channel's list: pinned first, then the order's time, then id (all descending). */
export interface ThreadPosition {
  pinned: boolean;
  at: Date;
  id: string;
}

const CURSOR_KIND: Record<ThreadOrder, string> = { LATEST_ACTIVITY: 'ta', NEWEST: 'tn' };
const SORT_COLUMN: Record<ThreadOrder, Prisma.Sql> = {
  LATEST_ACTIVITY: Prisma.raw('last_activity_at'),
  NEWEST: Prisma.raw('created_at'),
};
const sortTime = (thread: Thread, order: ThreadOrder) => (order === 'NEWEST' ? thread.createdAt : thread.lastActivityAt);

/** A thread's place in a list in `order`, as an opaque cursor: pinned, the sort time (ms), the id. */
export const threadCursor = (thread: Thread, order: ThreadOrder): string =>
  encodeCursor(CURSOR_KIND[order], [thread.pinned ? 1 : 0, sortTime(thread, order).getTime(), thread.id]);

/** The position inside a thread cursor of `order`; BAD_USER_INPUT for anything else (a cursor of the other order too). */
export function parseThreadCursor(cursor: string, order: ThreadOrder, field = 'after'): ThreadPosition {
  const [pinned, ms, id] = decodeCursor(CURSOR_KIND[order], cursor, 3, field);
  if (!/^[01]$/.test(pinned) || !/^\d{1,15}$/.test(ms) || !isUuid(id)) throw badInput('That cursor is not valid here', field);
  return { pinned: pinned === '1', at: new Date(Number(ms)), id };
}

/** One page of one channel's threads: what a `threadsPage` loader key asks for. */
export interface ThreadPageKey {
  channelId: string;
  order: ThreadOrder;
  /** Normalised; null for every thread. */
  tag: string | null;
  after: ThreadPosition | null;
  /** Rows to fetch: the page size plus one, to tell whether there is a next page. */
  take: number;
}

/**
 * Pages of several channels' threads in one query per (order, tag, take): a LATERAL keyset
 * scan per key, each walking the channel's (pinned, time, id) index backwards from its cursor.
 * The row comparison `(pinned, time, id) < cursor` is what makes the keyset exact: ties in
 * time are broken by id, and pinned threads (true > false) come first.
 */
export async function loadThreadPages(prisma: PrismaClient, keys: readonly ThreadPageKey[]): Promise<Thread[][]> {
  const results: Thread[][] = keys.map(() => []);
  const groups = new Map<string, number[]>();
  keys.forEach((key, i) => {
    const group = JSON.stringify([key.order, key.tag, key.take]);
    groups.set(group, [...(groups.get(group) ?? []), i]);
  });
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      const { order, tag, take } = keys[indexes[0]];
      const column = SORT_COLUMN[order];
      const batch = indexes.map((i) => keys[i]);
      const rows = await prisma.$queryRaw<Array<Thread & { key: number }>>`
        SELECT k.n::int AS "key", ${threadColumns('t')}
        FROM unnest(
          ${batch.map((k) => k.channelId)}::uuid[],
          ${batch.map((k) => (k.after ? k.after.pinned : null))}::boolean[],
          ${batch.map((k) => (k.after ? k.after.at.toISOString() : null))}::timestamptz[],
          ${batch.map((k) => (k.after ? k.after.id : null))}::uuid[]
        ) WITH ORDINALITY AS k(channel_id, pinned, at, id, n)
        CROSS JOIN LATERAL (
          SELECT * FROM threads
          WHERE threads.channel_id = k.channel_id
            AND (${tag}::text IS NULL OR threads.tags @> ARRAY[${tag}::text])
            AND (k.id IS NULL OR (threads.pinned, threads.${column}, threads.id) < (k.pinned, k.at, k.id))
          ORDER BY threads.pinned DESC, threads.${column} DESC, threads.id DESC
          LIMIT ${take}
        ) t
        ORDER BY k.n, t.pinned DESC, t.${column} DESC, t.id DESC`;
      for (const { key, ...thread } of rows) results[indexes[key - 1]].push(thread);
    }),
  );
  return results;
}

/** A connection from a page's rows (fetched with one extra). */
export const threadConnection = (rows: Thread[], page: PageRequest, order: ThreadOrder): Connection<Thread> =>
  toConnection(rows, page, (thread) => threadCursor(thread, order));
