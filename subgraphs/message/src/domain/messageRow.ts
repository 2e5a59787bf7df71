import type { UserProfile } from '@commons/shared';
import type { Message } from '@commons/shared/src/generated/prisma/client';

/**
 * A message with what was read of its author and channel when it was stored or changed, so
 * that a live event resolves the fields `messageAdded` and `messageUpdated` provide without
 * another subgraph (replays read them too). Absent on rows read for pages, whose authors and
 * channel the channel subgraph resolves, and on events from a replica of an older version: the
 * User and Channel resolvers read those fields then.
 */
export interface LiveMessage extends Message {
  authorProfile?: UserProfile;
  channelName?: string;
}

/**
 * What a LiveMessage carries, as columns of a statement that joins the message's author as `u`
 * and its channel as `c` (read into a LiveRow).
 */
export const LIVE_COLUMNS = `u.handle AS "authorHandle", u.display_name AS "authorDisplayName", u.avatar_url AS "authorAvatarUrl", c.name AS "channelName"`;

export interface LiveRow extends Message {
  authorHandle: string | null;
  authorDisplayName: string | null;
  authorAvatarUrl: string | null;
  channelName: string | null;
}

export function fromLiveRow({ authorHandle, authorDisplayName, authorAvatarUrl, channelName, ...message }: LiveRow): LiveMessage {
  const live: LiveMessage = message;
  if (authorHandle !== null && authorDisplayName !== null) live.authorProfile = { handle: authorHandle, displayName: authorDisplayName, avatarUrl: authorAvatarUrl };
  if (channelName !== null) live.channelName = channelName;
  return live;
}

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
  authorProfile?: UserProfile;
  channelName?: string;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const asDate = (value: Date | string | null) => (value === null || value instanceof Date ? value : new Date(value));

export function toMessageEvent(row: LiveMessage): MessageEvent {
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

/** A live event back to a message, keeping what it carries of its author and channel. */
export function toLiveMessage(event: MessageEvent): LiveMessage {
  const message: LiveMessage = toMessageRow(event);
  if (event.authorProfile) message.authorProfile = event.authorProfile;
  if (event.channelName !== undefined) message.channelName = event.channelName;
  return message;
}
