import { Prisma, type Post, type Thread } from '@commons/shared/src/generated/prisma/client';

// Raw SQL returns columns by their database names; these lists alias them to the Prisma
// model's field names, so raw rows have exactly the shape of the generated types.
const THREAD_FIELDS: Record<keyof Thread, string> = {
  id: 'id',
  channelId: 'channel_id',
  authorId: 'author_id',
  title: 'title',
  tags: 'tags',
  pinned: 'pinned',
  locked: 'locked',
  createdAt: 'created_at',
  lastActivityAt: 'last_activity_at',
  postCount: 'post_count',
};

const POST_FIELDS: Record<keyof Post, string> = {
  id: 'id',
  threadId: 'thread_id',
  seq: 'seq',
  authorId: 'author_id',
  body: 'body',
  createdAt: 'created_at',
  editedAt: 'edited_at',
  deletedAt: 'deleted_at',
};

const select = (fields: Record<string, string>, table: string, prefix: string) =>
  Prisma.raw(
    Object.entries(fields)
      .map(([field, column]) => `${table}.${column} AS "${prefix}${field}"`)
      .join(', '),
  );

/** `threads` columns (of the table or CTE named `table`) as Thread fields, each name prefixed by `prefix`. */
export const threadColumns = (table = 'threads', prefix = '') => select(THREAD_FIELDS, table, prefix);

/** `posts` columns (of the table or CTE named `table`) as Post fields, each name prefixed by `prefix`. */
export const postColumns = (table = 'posts', prefix = '') => select(POST_FIELDS, table, prefix);

/** The fields of `row` whose names start with `prefix`, without it. */
export function unprefix<T>(row: Record<string, unknown>, prefix: string): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  return out as T;
}
