import { badInput, channelMessages, decodeCursor, encodeCursor, MAX_PAGE_SIZE, pgRows, pinnedMessages, toConnection, type Connection, type PageRequest } from '@commons/shared';
import type { Message, PrismaClient } from '@commons/shared/src/generated/prisma/client';
import type { MessageContext } from '../context';
import type { MessagePageCache } from './messageCache';
import { fromLiveRow, LIVE_COLUMNS, toMessageEvent, toMessageRow, type LiveMessage, type LiveRow } from './messageRow';
import { reactionCounts, type ReactionCount } from './reactions';

const CURSOR_KIND = 'm';

/** A message's place in its channel, as an opaque cursor. */
export const messageCursor = (message: { seq: bigint | string }): string => encodeCursor(CURSOR_KIND, [message.seq]);

/** The `seq` inside a message cursor; BAD_USER_INPUT for anything that is not one. */
export function parseMessageCursor(cursor: string, field: string): bigint {
  const [seq] = decodeCursor(CURSOR_KIND, cursor, 1, field);
  if (!/^\d{1,18}$/.test(seq)) throw badInput('That cursor is not valid here', field);
  return BigInt(seq);
}

/** One page of a channel's history, keyset on the (channelId, seq) unique index; oldest first. */
export async function messagesPage(prisma: PrismaClient, channelId: string, page: PageRequest): Promise<Connection<Message>> {
  const forward = page.direction === 'forward';
  const cursor = forward ? page.after : page.before;
  const bound = cursor === undefined ? undefined : parseMessageCursor(cursor, forward ? 'after' : 'before');
  const rows = await channelMessages(prisma, channelId, { direction: page.direction, bound, limit: page.limit + 1 });
  return toConnection(rows, page, messageCursor);
}

/** The cache holds the largest page there is, plus one row that tells whether older ones exist. */
const CACHED_ROWS = MAX_PAGE_SIZE + 1;

/** A channel's latest messages (newest first) with their reaction counts, and its pins. */
export interface LatestPage {
  rows: Message[];
  counts: Map<string, ReactionCount[]>;
  /** Pinned, undeleted messages, newest pin first; null from a page cached before pins were. */
  pinned: Message[] | null;
}

/**
 * A channel's latest page from the shared cache; on a miss read from Postgres and cached (see
 * MessagePageCache for why that cannot cache stale rows). The pins are cached with the rows:
 * every pin, unpin, edit or delete replaces the page as it replaces the rows, and a page load
 * asks for both.
 */
export async function readLatestPage(prisma: PrismaClient, cache: MessagePageCache, channelId: string): Promise<LatestPage> {
  const { page: cached, version } = await cache.read(channelId);
  if (cached) {
    return {
      rows: cached.rows.map(toMessageRow),
      counts: new Map(Object.entries(cached.reactions)),
      pinned: cached.pinned?.map(toMessageRow) ?? null,
    };
  }
  const rows = await channelMessages(prisma, channelId, { direction: 'backward', limit: CACHED_ROWS });
  const [counts, pinned] = await Promise.all([reactionCounts(prisma, rows.map((row) => row.id)), pinnedMessages(prisma, [channelId])]);
  await cache.store(channelId, version, { rows: rows.map(toMessageEvent), reactions: Object.fromEntries(counts), pinned: pinned.map(toMessageEvent) });
  return { rows, counts, pinned };
}

/**
 * The latest `limit` messages of a channel (`last: n` without `before`: what a client opens a
 * channel with), from the operation's read of the channel's latest page.
 */
export async function latestMessages(ctx: MessageContext, channelId: string, page: PageRequest): Promise<Connection<Message>> {
  const { rows } = await ctx.loaders.latestPage(channelId);
  return toConnection(rows.slice(0, page.limit + 1), page, messageCursor);
}

const LIVE_MESSAGES_AFTER = `
  SELECT m.id, m.channel_id AS "channelId", m.seq, m.author_id AS "authorId", m.body, m.client_id AS "clientId",
         m.reply_to_id AS "replyToId", m.created_at AS "createdAt", m.edited_at AS "editedAt", m.deleted_at AS "deletedAt",
         m.pinned_at AS "pinnedAt", m.pinned_by_id AS "pinnedById", ${LIVE_COLUMNS}
    FROM messages m LEFT JOIN users u ON u.id = m.author_id LEFT JOIN channels c ON c.id = m.channel_id
   WHERE m.channel_id = $1::uuid AND m.seq > $2::bigint AND m.seq <= $3::bigint
   ORDER BY m.seq LIMIT $4`;
// seq is a BIGINT: "through the end".
const MAX_SEQ = 9223372036854775807n;

/**
 * Every message after `afterSeq` (through `throughSeq`, when given), in seq order, read in pages,
 * each with what a live message carries (see LiveMessage): a replay resolves its authors and
 * channel without a statement per message.
 */
export async function* messagesAfter(
  prisma: PrismaClient,
  channelId: string,
  afterSeq: bigint,
  throughSeq = MAX_SEQ,
  pageSize = 500,
): AsyncGenerator<LiveMessage> {
  let last = afterSeq;
  for (;;) {
    const rows = await pgRows<LiveRow>(prisma, LIVE_MESSAGES_AFTER, [channelId, last, throughSeq, pageSize]);
    for (const row of rows) yield fromLiveRow(row);
    if (rows.length < pageSize) return;
    last = rows[rows.length - 1].seq;
  }
}
