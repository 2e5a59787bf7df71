import { randomUUID } from 'node:crypto';
import { loadConfig } from '@commons/shared';
import type { PrismaClient } from '@commons/shared/src/generated/prisma/client';
import { createChannel as buildChannel, countStatements, type ChannelOptions } from '../../../tests/testkit/builders';
import { startSubgraph } from '../../../tests/testkit/subgraph';
import { createVoiceSubgraph } from '../src/server';

/**
 * The voice subgraph on real Postgres and Redis, counting the statements it sends (raw ones
 * included: presence is raw SQL on the database clock; see countStatements).
 */
export async function startVoiceSubgraph(label: string, env: Record<string, string> = {}) {
  const queries = { count: 0 };
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
  const subgraph = await startSubgraph(label, (deps, options) => {
    countStatements(deps.prisma, queries);
    return createVoiceSubgraph(deps, { ...options, config });
  });
  return { ...subgraph, queries };
}

// ---------------------------------------------------------------- data builders (unique per call)

export { createUser } from '../../../tests/testkit/builders';

/** Channels here are VOICE channels unless a test says otherwise. */
export const createChannel = (prisma: PrismaClient, options: ChannelOptions = {}) => buildChannel(prisma, { kind: 'VOICE', ...options });

/**
 * Seats rows directly, `ageMs` past their last heartbeat and `joinedAgoMs` after joining (by the
 * database clock; `joined_at` keeps milliseconds, so seats inserted back to back can tie, and an
 * order under test needs the latter).
 */
export async function seat(prisma: PrismaClient, channelId: string, userId: string, ageMs = 0, joinedAgoMs = 0): Promise<string> {
  const id = randomUUID();
  await prisma.$executeRaw`
    INSERT INTO voice_participants (id, channel_id, user_id, last_heartbeat_at, joined_at)
    VALUES (${id}::uuid, ${channelId}::uuid, ${userId}, now() - ${ageMs}::int * interval '1 millisecond',
            now() - ${joinedAgoMs}::int * interval '1 millisecond')`;
  return id;
}
