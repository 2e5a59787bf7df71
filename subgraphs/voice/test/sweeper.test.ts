import { topics, type PubSub, type ServiceDeps, type VoiceRoomEvent } from '@commons/shared';
import { createTestDeps } from '../../../tests/testkit/subgraph';
import { sweepStaleParticipants } from '../src/domain/sweeper';
import { createChannel, createUser, seat } from './helpers';

/** Deps whose pub/sub records what is published (the sweeper only publishes). */
function recording(deps: ServiceDeps, published: Array<{ topic: string; payload: unknown }>): ServiceDeps {
  const pubsub: PubSub = { ...deps.pubsub, publish: async (topic, payload) => void published.push({ topic, payload }) } as PubSub;
  return { ...deps, pubsub };
}

let env: Awaited<ReturnType<typeof createTestDeps>>;
beforeAll(async () => {
  env = await createTestDeps('voice_sweeper');
});
afterAll(() => env.close());

describe('sweepStaleParticipants', () => {
  it('removes and announces every stale seat exactly once, however many replicas sweep at once', async () => {
    const prisma = env.deps.prisma;
    const user = await createUser(prisma);
    const channel = await createChannel(prisma, { members: [user] });
    const stale = await Promise.all(Array.from({ length: 1200 }, () => seat(prisma, channel, user.id, 60_000)));
    const fresh = await Promise.all(Array.from({ length: 3 }, () => seat(prisma, channel, user.id)));

    // Four "replicas", each with its own pool, sweeping three times concurrently.
    const published: Array<{ topic: string; payload: unknown }> = [];
    const replicas = [env.deps, env.replicaDeps(), env.replicaDeps(), env.replicaDeps()].map((d) => recording(d, published));
    const removed = await Promise.all(replicas.flatMap((deps) => [1, 2, 3].map(() => sweepStaleParticipants(deps, 30_000))));

    expect(removed.reduce((a, b) => a + b, 0)).toBe(stale.length);
    const left = published.filter((p) => p.topic === topics.voiceRoom(channel)).map((p) => p.payload as VoiceRoomEvent);
    expect(left.every((e) => e.kind === 'LEFT')).toBe(true);
    expect(left.map((e) => e.participant.id).sort()).toEqual([...stale].sort());
    // Each removed seat's signal stream is closed, once.
    expect(published.filter((p) => p.topic.startsWith('voice:')).map((p) => p.topic).sort()).toEqual(stale.map(topics.voiceSignals).sort());

    const remaining = await prisma.voiceParticipant.findMany({ where: { channelId: channel }, select: { id: true } });
    expect(remaining.map((r) => r.id).sort()).toEqual([...fresh].sort());
  });
});
