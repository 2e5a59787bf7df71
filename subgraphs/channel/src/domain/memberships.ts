import {
  badInput,
  conflict,
  decodeCursor,
  encodeCursor,
  forbidden,
  notFound,
  parsePageArgs,
  pgRows,
  toConnection,
  type Connection,
  type PrismaClient,
} from '@commons/shared';
import type { MemberRole, Membership, Prisma, User } from '@commons/shared/src/generated/prisma/client';

type Tx = Prisma.TransactionClient;

const key = (channelId: string, userId: string) => ({ channelId_userId: { channelId, userId } });

/**
 * Locks the channel row until the transaction ends. Every membership write takes this lock
 * first, so per channel they run one at a time: member counts and the "always one OWNER"
 * rule are checked against numbers no concurrent write can change underneath.
 */
async function lockChannel(tx: Tx, channelId: string): Promise<{ memberCount: number; archived: boolean }> {
  const rows = await tx.$queryRaw<Array<{ member_count: number; archived: boolean }>>`
    SELECT member_count, archived_at IS NOT NULL AS archived FROM channels WHERE id = ${channelId}::uuid FOR UPDATE`;
  if (!rows[0]) throw notFound('Channel');
  return { memberCount: rows[0].member_count, archived: rows[0].archived };
}

const ownerCount = (tx: Tx, channelId: string) => tx.membership.count({ where: { channelId, role: 'OWNER' } });

/**
 * Adds `userId` as a MEMBER, or returns the membership they already have. `added` is true
 * only when a row was inserted, and only then is memberCount incremented.
 */
export async function addMember(prisma: PrismaClient, channelId: string, userId: string): Promise<{ membership: Membership; added: boolean }> {
  return prisma.$transaction(async (tx) => {
    const channel = await lockChannel(tx, channelId);
    const existing = await tx.membership.findUnique({ where: key(channelId, userId) });
    if (existing) return { membership: existing, added: false };
    if (channel.archived) throw conflict('This channel is archived and takes no new members');
    const membership = await tx.membership.create({ data: { channelId, userId, role: 'MEMBER' } });
    await tx.channel.update({ where: { id: channelId }, data: { memberCount: { increment: 1 } } });
    return { membership, added: true };
  });
}

/**
 * Removes `userId`'s membership; false when there was none. `check` may veto (throw) once the
 * target's row is known. The last OWNER cannot go while other members remain.
 */
export async function removeMember(
  prisma: PrismaClient,
  channelId: string,
  userId: string,
  check: (target: Membership) => void = () => {},
): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const channel = await lockChannel(tx, channelId);
    const target = await tx.membership.findUnique({ where: key(channelId, userId) });
    if (!target) return false;
    check(target);
    if (target.role === 'OWNER' && channel.memberCount > 1 && (await ownerCount(tx, channelId)) === 1) {
      throw conflict('The last OWNER cannot leave while others remain: make someone else OWNER first');
    }
    await tx.membership.delete({ where: key(channelId, userId) });
    await tx.channel.update({ where: { id: channelId }, data: { memberCount: { decrement: 1 } } });
    return true;
  });
}

/** An ADMIN may remove only MEMBERs; an OWNER anyone. */
export const removableBy = (actorRole: MemberRole) => (target: Membership) => {
  if (actorRole !== 'OWNER' && target.role !== 'MEMBER') throw forbidden('Only an OWNER can remove an OWNER or ADMIN');
};

/** Changes a member's role; a channel never loses its last OWNER. */
export async function setMemberRole(prisma: PrismaClient, channelId: string, userId: string, role: MemberRole): Promise<Membership> {
  return prisma.$transaction(async (tx) => {
    await lockChannel(tx, channelId);
    const target = await tx.membership.findUnique({ where: key(channelId, userId) });
    if (!target) throw notFound('Membership');
    if (target.role === role) return target;
    if (target.role === 'OWNER' && (await ownerCount(tx, channelId)) === 1) {
      throw conflict('A channel always keeps one OWNER: make someone else OWNER first');
    }
    return tx.membership.update({ where: key(channelId, userId), data: { role } });
  });
}

const MEMBER_CURSOR = 'member';

// A page load reads this (on pg, see pg-reads.ts); keyset on the (channel_id, joined_at, user_id)
// index. Each member's user comes in the same statement (the page shows them all): the join
// costs Postgres the primary-key probes a users statement would, without its round trip.
const MEMBER_WITH_USER = `m.channel_id AS "channelId", m.user_id AS "userId", m.role, m.joined_at AS "joinedAt",
  u.handle, u.display_name AS "displayName", u.avatar_url AS "avatarUrl", u.created_at AS "createdAt", u.updated_at AS "updatedAt"`;
const FROM_MEMBERS = `FROM memberships m JOIN users u ON u.id = m.user_id`;
const FIRST_MEMBERS = `SELECT ${MEMBER_WITH_USER} ${FROM_MEMBERS} WHERE m.channel_id = $1::uuid ORDER BY m.joined_at, m.user_id LIMIT $2`;
const MEMBERS_AFTER = `SELECT ${MEMBER_WITH_USER} ${FROM_MEMBERS}
  WHERE m.channel_id = $1::uuid AND (m.joined_at, m.user_id) > ($3::timestamptz, $4::text)
  ORDER BY m.joined_at, m.user_id LIMIT $2`;

type MemberRow = Membership & Omit<User, 'id'>;

/**
 * Members oldest first, keyset-paged on (joinedAt, userId). `seeUser` receives each member's
 * user row, read by the same statement, so the caller can prime its user loader.
 */
export async function listMembers(
  prisma: PrismaClient,
  channelId: string,
  args: { first?: number | null; after?: string | null },
  seeUser: (user: User) => void = () => {},
): Promise<Connection<Membership>> {
  const page = parsePageArgs({ first: args.first, after: args.after });
  if (page.direction !== 'forward') throw badInput('Only forward paging (first/after) is supported', 'last');
  let rows: MemberRow[];
  if (page.after === undefined) {
    rows = await pgRows<MemberRow>(prisma, FIRST_MEMBERS, [channelId, page.limit + 1]);
  } else {
    const [at, userId] = decodeCursor(MEMBER_CURSOR, page.after, 2);
    const joinedAt = new Date(at);
    if (Number.isNaN(joinedAt.getTime())) throw badInput('That cursor is not valid here', 'after');
    rows = await pgRows<MemberRow>(prisma, MEMBERS_AFTER, [channelId, page.limit + 1, joinedAt, userId]);
  }
  const memberships = rows.map(({ channelId, userId, role, joinedAt, handle, displayName, avatarUrl, createdAt, updatedAt }) => {
    seeUser({ id: userId, handle, displayName, avatarUrl, createdAt, updatedAt });
    return { channelId, userId, role, joinedAt };
  });
  return toConnection(memberships, page, (m) => encodeCursor(MEMBER_CURSOR, [m.joinedAt.toISOString(), m.userId]));
}
