import { badInput, decodeCursor, encodeCursor, toConnection, type Connection, type PageRequest } from '@commons/shared';
import type { Message, PrismaClient } from '@commons/shared/src/generated/prisma/client';

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
  const rows = await prisma.message.findMany({
    where: { channelId, ...(bound === undefined ? {} : { seq: forward ? { gt: bound } : { lt: bound } }) },
    orderBy: { seq: forward ? 'asc' : 'desc' },
    take: page.limit + 1,
  });
  return toConnection(rows, page, messageCursor);
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
