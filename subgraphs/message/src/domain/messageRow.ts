import type { Message } from '@commons/shared/src/generated/prisma/client';

/** A message as published on pub/sub: JSON-safe (bigint and dates do not survive JSON). */
export interface MessageEvent {
  id: string;
  channelId: string;
  seq: string;
  authorId: string;
  body: string;
  clientId: string | null;
  replyToId: string | null;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
  pinnedAt: string | null;
  pinnedById: string | null;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const asDate = (value: Date | string | null) => (value === null || value instanceof Date ? value : new Date(value));

export function toMessageEvent(row: Message): MessageEvent {
  return { ...row, seq: row.seq.toString(), createdAt: row.createdAt.toISOString(), editedAt: iso(row.editedAt), deletedAt: iso(row.deletedAt), pinnedAt: iso(row.pinnedAt) };
}

/** Back to the Prisma row shape the resolvers are typed for; rows pass through unchanged. */
export function toMessageRow(message: Message | MessageEvent): Message {
  return {
    id: message.id,
    channelId: message.channelId,
    seq: BigInt(message.seq),
    authorId: message.authorId,
    body: message.body,
    clientId: message.clientId,
    replyToId: message.replyToId,
    createdAt: asDate(message.createdAt) as Date,
    editedAt: asDate(message.editedAt),
    deletedAt: asDate(message.deletedAt),
    pinnedAt: asDate(message.pinnedAt),
    pinnedById: message.pinnedById,
  };
}
