import { badInput, conflict, decodeCursor, encodeCursor, isUuid, parsePageArgs, toConnection, type Connection, type PrismaClient } from '@commons/shared';
import type { Channel, ChannelKind, ChannelVisibility, Prisma } from '@commons/shared/src/generated/prisma/client';
import { validName, validTopic } from './validation';

export interface NewChannel {
  name: string;
  kind: ChannelKind;
  visibility?: ChannelVisibility | null;
  topic?: string | null;
}

/** Creates the channel with its creator as OWNER, in one transaction (a nested write). */
export async function createChannel(prisma: PrismaClient, ownerId: string, input: NewChannel): Promise<Channel> {
  const data = {
    name: validName(input.name),
    topic: input.topic == null ? null : validTopic(input.topic),
    kind: input.kind,
    visibility: input.visibility ?? 'PUBLIC',
  };
  return prisma.channel.create({
    data: { ...data, createdById: ownerId, memberCount: 1, memberships: { create: { userId: ownerId, role: 'OWNER' } } },
  });
}

/** Validates the changes; `undefined`/null leave a field as it is, an empty topic clears it. */
export function channelChanges(name?: string | null, topic?: string | null): Prisma.ChannelUpdateManyMutationInput {
  return {
    ...(name != null && { name: validName(name) }),
    ...(topic != null && { topic: validTopic(topic) }),
  };
}

/** Applies changes unless the channel is archived (checked in the same statement, so no race). */
export async function updateChannel(prisma: PrismaClient, id: string, changes: Prisma.ChannelUpdateManyMutationInput): Promise<Channel> {
  const { count } = await prisma.channel.updateMany({ where: { id, archivedAt: null }, data: changes });
  if (count === 0) throw conflict('This channel is archived');
  return prisma.channel.findUniqueOrThrow({ where: { id } });
}

/** Archives once: archiving again keeps the first time. */
export async function archiveChannel(prisma: PrismaClient, id: string): Promise<Channel> {
  await prisma.channel.updateMany({ where: { id, archivedAt: null }, data: { archivedAt: new Date() } });
  return prisma.channel.findUniqueOrThrow({ where: { id } });
}

const CHANNEL_CURSOR = 'channel';

export interface ChannelListArgs {
  first?: number | null;
  after?: string | null;
  kind?: ChannelKind | null;
  joined?: boolean | null;
}

/**
 * The channels `viewerId` can see, newest first, keyset-paged on (createdAt DESC, id DESC):
 * a page costs one indexed query however deep it is.
 */
export async function listChannels(prisma: PrismaClient, viewerId: string, args: ChannelListArgs): Promise<Connection<Channel>> {
  const page = parsePageArgs({ first: args.first, after: args.after });
  if (page.direction !== 'forward') throw badInput('Only forward paging (first/after) is supported', 'last');

  const member = { memberships: { some: { userId: viewerId } } };
  const visible: Prisma.ChannelWhereInput =
    args.joined === true
      ? member
      : args.joined === false
        ? { visibility: 'PUBLIC', memberships: { none: { userId: viewerId } } }
        : { OR: [{ visibility: 'PUBLIC' }, member] };
  const and: Prisma.ChannelWhereInput[] = [visible];
  if (args.kind) and.push({ kind: args.kind });
  if (page.after !== undefined) {
    const [createdAt, id] = decodeChannelCursor(page.after);
    and.push({ OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }] });
  }

  const rows = await prisma.channel.findMany({
    where: { AND: and },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: page.limit + 1,
  });
  return toConnection(rows, page, (c) => encodeCursor(CHANNEL_CURSOR, [c.createdAt.toISOString(), c.id]));
}

function decodeChannelCursor(cursor: string): [Date, string] {
  const [at, id] = decodeCursor(CHANNEL_CURSOR, cursor, 2);
  const createdAt = new Date(at);
  // A forged cursor must fail as bad input, never as a SQL error on the uuid column.
  if (Number.isNaN(createdAt.getTime()) || !isUuid(id)) throw badInput('That cursor is not valid here', 'after');
  return [createdAt, id];
}
