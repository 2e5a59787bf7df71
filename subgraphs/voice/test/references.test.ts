import { randomUUID } from 'node:crypto';
import { createChannel, createUser, seat, startVoiceSubgraph } from './helpers';

const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on VoiceParticipant { id muted user { id } channel { id } } }
}`;
const CHANNELS = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Channel { id voiceParticipants { id user { id } } } }
}`;

let subgraph: Awaited<ReturnType<typeof startVoiceSubgraph>>;
beforeAll(async () => {
  subgraph = await startVoiceSubgraph('voice_refs', { VOICE_HEARTBEAT_TIMEOUT_MS: '60000' });
});
afterAll(() => subgraph.close());

const prisma = () => subgraph.deps.prisma;
const refs = (typename: string, ids: string[]) => ids.map((id) => ({ __typename: typename, id }));

describe('_entities for VoiceParticipant', () => {
  it('resolves live seats in readable channels and nulls the rest', async () => {
    const member = await createUser(prisma());
    const outsider = await createUser(prisma());
    const open = await createChannel(prisma(), { members: [member] });
    const hidden = await createChannel(prisma(), { visibility: 'PRIVATE', members: [member] });
    const inOpen = await seat(prisma(), open, member.id);
    const inHidden = await seat(prisma(), hidden, member.id);
    const stale = await seat(prisma(), open, member.id, 120_000);
    const ids = [inOpen, inHidden, stale, randomUUID(), 'not-a-uuid'];

    const asMember = await subgraph.expectData(member, ENTITIES, { representations: refs('VoiceParticipant', ids) });
    expect(asMember._entities).toEqual([
      { id: inOpen, muted: false, user: { id: member.id }, channel: { id: open } },
      { id: inHidden, muted: false, user: { id: member.id }, channel: { id: hidden } },
      null,
      null,
      null,
    ]);
    const asOutsider = await subgraph.expectData(outsider, ENTITIES, { representations: refs('VoiceParticipant', ids) });
    expect(asOutsider._entities.map((e: any) => e?.id ?? null)).toEqual([inOpen, null, null, null, null]);
  });

  it('costs a constant number of queries for a batch of 100', async () => {
    const member = await createUser(prisma());
    const channels = await Promise.all(Array.from({ length: 4 }, () => createChannel(prisma(), { members: [member] })));
    const ids = await Promise.all(Array.from({ length: 100 }, (_, i) => seat(prisma(), channels[i % 4], member.id)));
    const before = subgraph.queries.count;
    const data = await subgraph.expectData(member, ENTITIES, { representations: refs('VoiceParticipant', ids) });
    expect(data._entities.map((e: any) => e.id)).toEqual(ids);
    // One for the seats, one for the channels' visibility.
    // The counter sees raw statements too (a count of 0 would mean it saw nothing).
    expect(subgraph.queries.count - before).toBeGreaterThanOrEqual(1);
    expect(subgraph.queries.count - before).toBeLessThanOrEqual(2);
  });
});

describe('Channel.voiceParticipants', () => {
  it('lists each VOICE channel live seats in joining order, in one query per batch, and nothing for other kinds', async () => {
    const member = await createUser(prisma());
    const a = await createChannel(prisma(), { members: [member] });
    const b = await createChannel(prisma(), { members: [member] });
    const text = await createChannel(prisma(), { kind: 'TEXT', members: [member] });
    const first = await seat(prisma(), a, member.id, 0, 2000);
    const second = await seat(prisma(), a, member.id, 0, 1000);
    await seat(prisma(), a, member.id, 120_000);
    const inB = await seat(prisma(), b, member.id);
    await prisma().$executeRaw`INSERT INTO voice_participants (id, channel_id, user_id) VALUES (${randomUUID()}::uuid, ${text}::uuid, ${member.id})`;

    const before = subgraph.queries.count;
    const data = await subgraph.expectData(member, CHANNELS, { representations: refs('Channel', [a, b, text]) });
    expect(data._entities.map((c: any) => c.voiceParticipants.map((p: any) => p.id))).toEqual([[first, second], [inB], []]);
    // The counter sees raw statements too (a count of 0 would mean it saw nothing).
    expect(subgraph.queries.count - before).toBeGreaterThanOrEqual(1);
    expect(subgraph.queries.count - before).toBeLessThanOrEqual(2);
  });

  it('is NOT_FOUND for a channel the caller cannot read', async () => {
    const member = await createUser(prisma());
    const outsider = await createUser(prisma());
    const hidden = await createChannel(prisma(), { visibility: 'PRIVATE', members: [member] });
    const res = await subgraph.request(outsider, CHANNELS, { representations: refs('Channel', [hidden]) });
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
