import { randomUUID } from 'node:crypto';
import { loadConfig, type Viewer } from '@commons/shared';
import type { PrismaClient } from '@commons/shared/src/generated/prisma/client';
import type { ChannelKind, ChannelVisibility } from '@commons/shared/src/generated/prisma/enums';
import { startSubgraph } from '../../../tests/testkit/subgraph';
import { createVoiceSubgraph } from '../src/server';

/**
 * The voice subgraph on real Postgres and Redis, with a Prisma client that counts the
 * statements it runs (raw ones included: presence is raw SQL on the database clock).
 */
export async function startVoiceSubgraph(label: string, env: Record<string, string> = {}) {
  const queries = { count: 0 };
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
  const subgraph = await startSubgraph(label, (deps, options) => {
    const prisma = deps.prisma.$extends({
      query: { $allOperations: ({ args, query }) => (queries.count++, query(args)) },
    }) as unknown as PrismaClient;
    return createVoiceSubgraph({ ...deps, prisma }, { ...options, config });
  });
  return { ...subgraph, queries };
}

// ---------------------------------------------------------------- data builders (unique per call)

export async function createUser(prisma: PrismaClient): Promise<Viewer> {
  const id = `user-${randomUUID()}`;
  await prisma.user.create({ data: { id, handle: id.slice(0, 20), displayName: 'Test User' } });
  return { id };
}

export async function createChannel(
  prisma: PrismaClient,
  options: { kind?: ChannelKind; visibility?: ChannelVisibility; members?: Viewer[] } = {},
): Promise<string> {
  const members = options.members ?? [];
  const channel = await prisma.channel.create({
    data: {
      name: `voice-${randomUUID().slice(0, 8)}`,
      kind: options.kind ?? 'VOICE',
      visibility: options.visibility ?? 'PUBLIC',
      createdById: members[0]?.id ?? 'nobody',
      memberCount: members.length,
    },
  });
  for (const member of members) await prisma.membership.create({ data: { channelId: channel.id, userId: member.id } });
  return channel.id;
}

/** Seats rows directly, `ageMs` past their last heartbeat (by the database clock). */
export async function seat(prisma: PrismaClient, channelId: string, userId: string, ageMs = 0): Promise<string> {
  const id = randomUUID();
  await prisma.$executeRaw`
    INSERT INTO voice_participants (id, channel_id, user_id, last_heartbeat_at)
    VALUES (${id}::uuid, ${channelId}::uuid, ${userId}, now() - ${ageMs}::int * interval '1 millisecond')`;
  return id;
}
