import pg from 'pg';
import type { ChannelAccessRow } from './access';
import type { Channel, Membership, Message, User } from './generated/prisma/client';
import type { MemberRole } from './generated/prisma/enums';
import { isUuid } from './ids';
import { poolOf, usesPreparedStatements, type PrismaClient } from './prisma';

/*
 * The hottest batch reads (access checks, the channel subgraph's loaders, the message page) as
 * typed SQL on the pg pool under Prisma; writes and every other read stay on Prisma.
 *
 * Why not Prisma: measured on this machine, 16 concurrent callers, client CPU per batch:
 *   1 id:   findMany 0.26 ms, findUnique 0.09 ms (Prisma merges concurrent ones), pg 0.05 ms
 *   50 ids: findMany 0.43 ms, findUnique per key 3.6 ms (its cost is per key), pg 0.18-0.2 ms
 * so findUnique-per-key only wins for single-key batches, and pg wins everywhere.
 *
 * Rows come out exactly as Prisma's (shared/test/pg-reads.test.ts compares them): columns
 * aliased to the field names, timestamptz as Date, enums as their names, BIGINT as bigint.
 * Statements are named prepared statements where the client was made with `preparedStatements`
 * (every real Postgres by default), unnamed on the embedded database (see DatabaseOptions).
 */

const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? BigInt : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

// One name per statement text for the process: pg prepares a name once per connection and
// refuses the same name with another text.
const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) statementNames.set(text, (name = `commons_${statementNames.size}`));
  return name;
}

/**
 * The rows of one statement on the pool under `prisma`, parsed as Prisma parses them (see above),
 * for a subgraph's own hot reads; a named prepared statement where the client uses them.
 * `values` are bound parameters: never interpolate into `text`.
 */
export async function pgRows<T extends object>(prisma: PrismaClient, text: string, values: unknown[]): Promise<T[]> {
  const name = usesPreparedStatements(prisma) ? statementName(text) : undefined;
  return (await poolOf(prisma).query<T>({ name, text, values, types })).rows;
}

/** `rows` in the order of `keys`, null for a key with no row. */
function inKeyOrder<T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string): Array<T | null> {
  const byKey = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => byKey.get(key) ?? null);
}

const USERS_BY_ID = `
  SELECT id, handle, display_name AS "displayName", avatar_url AS "avatarUrl", created_at AS "createdAt", updated_at AS "updatedAt"
    FROM users WHERE id = ANY($1::text[])`;

/** Users in key order; null for a missing user. */
export async function usersById(prisma: PrismaClient, ids: readonly string[]): Promise<Array<User | null>> {
  const rows = await pgRows<User>(prisma, USERS_BY_ID, [ids]);
  return inKeyOrder(ids, rows, (r) => r.id);
}

/** A channel with the viewer's membership of it: null without a viewer or when not a member. */
export interface ChannelWithMembership<C> {
  channel: C;
  membership: Membership | null;
}

const ACCESS = `c.id, c.kind, c.visibility, c.archived_at AS "archivedAt"`;
const CHANNEL = `${ACCESS}, c.name, c.topic, c.created_by_id AS "createdById", c.created_at AS "createdAt", c.member_count AS "memberCount"`;
// One statement for both: an access check almost always needs the viewer's role next.
const withMembership = (columns: string) => `
  SELECT ${columns}, m.role AS "memberRole", m.joined_at AS "memberJoinedAt"
    FROM channels c LEFT JOIN memberships m ON m.channel_id = c.id AND m.user_id = $2::text
   WHERE c.id = ANY($1::uuid[])`;

async function channelsWithMembership<C extends { id: string }>(
  prisma: PrismaClient,
  text: string,
  ids: readonly string[],
  viewerId: string | null,
): Promise<Array<ChannelWithMembership<C> | null>> {
  const valid = ids.filter(isUuid);
  type Row = C & { memberRole: MemberRole | null; memberJoinedAt: Date | null };
  const rows = valid.length ? await pgRows<Row>(prisma, text, [valid, viewerId]) : [];
  const found = rows.map(({ memberRole, memberJoinedAt, ...rest }) => {
    const channel = rest as unknown as C;
    const membership = memberRole && viewerId ? { channelId: channel.id, userId: viewerId, role: memberRole, joinedAt: memberJoinedAt! } : null;
    return { channel, membership };
  });
  return inKeyOrder(ids, found, (r) => r.channel.id);
}

const CHANNEL_ACCESS_BY_ID = withMembership(ACCESS);
/** Channels (authorization's columns) in key order; null for a missing channel or a malformed id. */
export const channelAccessById = (prisma: PrismaClient, ids: readonly string[], viewerId: string | null) =>
  channelsWithMembership<ChannelAccessRow>(prisma, CHANNEL_ACCESS_BY_ID, ids, viewerId);

const CHANNELS_BY_ID = withMembership(CHANNEL);
/** Whole channel rows in key order; null for a missing channel or a malformed id. */
export const channelsById = (prisma: PrismaClient, ids: readonly string[], viewerId: string | null) =>
  channelsWithMembership<Channel>(prisma, CHANNELS_BY_ID, ids, viewerId);

const MESSAGE = `id, channel_id AS "channelId", seq, author_id AS "authorId", body, client_id AS "clientId",
  reply_to_id AS "replyToId", created_at AS "createdAt", edited_at AS "editedAt", deleted_at AS "deletedAt",
  pinned_at AS "pinnedAt", pinned_by_id AS "pinnedById"`;
const MESSAGES_BY_ID = `SELECT ${MESSAGE} FROM messages WHERE id = ANY($1::uuid[])`;
const MESSAGES_AFTER = `SELECT ${MESSAGE} FROM messages WHERE channel_id = $1::uuid AND seq > $2::bigint ORDER BY seq LIMIT $3`;
const MESSAGES_BEFORE = `SELECT ${MESSAGE} FROM messages WHERE channel_id = $1::uuid AND seq < $2::bigint ORDER BY seq DESC LIMIT $3`;

/** Messages in key order; null for a missing message or a malformed id. */
export async function messagesById(prisma: PrismaClient, ids: readonly string[]): Promise<Array<Message | null>> {
  const valid = ids.filter(isUuid);
  const rows = valid.length ? await pgRows<Message>(prisma, MESSAGES_BY_ID, [valid]) : [];
  return inKeyOrder(ids, rows, (r) => r.id);
}

// seq starts at 1 and is a BIGINT, so these bounds stand for "no cursor" and keep the statement
// a plain range on the (channel_id, seq) index.
const NO_SEQ_BELOW = '0';
const NO_SEQ_ABOVE = '9223372036854775807';

/**
 * Up to `limit` messages of a channel after `bound` (forward, oldest first) or before it
 * (backward, newest first), keyset on the (channel_id, seq) unique index.
 */
export function channelMessages(
  prisma: PrismaClient,
  channelId: string,
  page: { direction: 'forward' | 'backward'; bound?: bigint; limit: number },
): Promise<Message[]> {
  if (!isUuid(channelId)) return Promise.resolve([]);
  const forward = page.direction === 'forward';
  const bound = page.bound?.toString() ?? (forward ? NO_SEQ_BELOW : NO_SEQ_ABOVE);
  return pgRows<Message>(prisma, forward ? MESSAGES_AFTER : MESSAGES_BEFORE, [channelId, bound, page.limit]);
}

const PINNED_IN_CHANNELS = `SELECT ${MESSAGE} FROM messages
  WHERE channel_id = ANY($1::uuid[]) AND pinned_at IS NOT NULL AND deleted_at IS NULL
  ORDER BY pinned_at DESC, id DESC`;

/** The pinned, undeleted messages of many channels, newest pin first (ties by id, descending). */
export async function pinnedMessages(prisma: PrismaClient, channelIds: readonly string[]): Promise<Message[]> {
  const valid = channelIds.filter(isUuid);
  return valid.length ? pgRows<Message>(prisma, PINNED_IN_CHANNELS, [valid]) : [];
}

const MESSAGE_BY_CLIENT_ID = `SELECT ${MESSAGE} FROM messages WHERE author_id = $1::text AND client_id = $2::text`;

/** The message `authorId` sent with `clientId` (unique per author), or null. */
export async function messageByClientId(prisma: PrismaClient, authorId: string, clientId: string): Promise<Message | null> {
  const [row] = await pgRows<Message>(prisma, MESSAGE_BY_CLIENT_ID, [authorId, clientId]);
  return row ?? null;
}
