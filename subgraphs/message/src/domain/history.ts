import { badInput, channelMessages, decodeCursor, encodeCursor, MAX_PAGE_SIZE, toConnection, type Connection, type PageRequest } from '@commons/shared';
import type { Message, PrismaClient } from '@commons/shared/src/generated/prisma/client';
import type { MessageContext } from '../context';
import { toMessageEvent, toMessageRow } from './messageRow';
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

/**
 * The latest `limit` messages of a channel (`last: n` without `before`: what a client opens a
 * channel with), served from the channel's cached page with their reaction counts; on a miss
 * read from Postgres and cached (see MessagePageCache for why that cannot cache stale rows).
 * The rows and counts prime this operation's loaders: a hit reads neither messages nor reaction counts.
 */
export async function latestMessages(ctx: MessageContext, channelId: string, page: PageRequest): Promise<Connection<Message>> {
  const { page: cached, version } = await ctx.messageCache.read(channelId);
  let rows: Message[];
  let counts: Map<string, ReactionCount[]>;
  if (cached) {
    rows = cached.rows.map(toMessageRow);
    counts = new Map(Object.entries(cached.reactions));
  } else {
    rows = await channelMessages(ctx.prisma, channelId, { direction: 'backward', limit: CACHED_ROWS });
    counts = await reactionCounts(ctx.prisma, rows.map((row) => row.id));
    await ctx.messageCache.store(channelId, version, { rows: rows.map(toMessageEvent), reactions: Object.fromEntries(counts) });
  }
  for (const row of rows) {
    ctx.loaders.messageById.prime(row.id, row);
    ctx.loaders.reactionCounts.prime(row.id, counts.get(row.id) ?? []);
  }
  return toConnection(rows.slice(0, page.limit + 1), page, messageCursor);
}

/** Every message after `afterSeq` (through `throughSeq`, when given), in seq order, read in pages. */
export async function* messagesAfter(
  prisma: PrismaClient,
  channelId: string,
  afterSeq: bigint,
  throughSeq?: bigint,
  pageSize = 500,
): AsyncGenerator<Message> {
  let last = afterSeq;
  for (;;) {
    const rows = await prisma.message.findMany({
      where: { channelId, seq: { gt: last, ...(throughSeq === undefined ? {} : { lte: throughSeq }) } },
      orderBy: { seq: 'asc' },
      take: pageSize,
    });
    for (const row of rows) yield row;
    if (rows.length < pageSize) return;
    last = rows[rows.length - 1].seq;
  }
}
