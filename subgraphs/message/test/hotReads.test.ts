import { randomUUID } from 'node:crypto';
import { isUuid } from '@commons/shared';
import { createChannel, createUser } from '../../../tests/testkit/builders';
import { createTestDeps } from '../../../tests/testkit/subgraph';
import { reactionCounts, reactionsBy } from '../src/domain/reactions';
import { MAX_UNREAD_COUNT, readStates } from '../src/domain/readState';

// A page's reads moved from Prisma to pg (reactions.ts, readState.ts): each is held here to what
// Prisma reads from the same rows, for unknown, malformed and repeated ids, empty batches and ties.

let t: Awaited<ReturnType<typeof createTestDeps>>;
beforeAll(async () => {
  t = await createTestDeps('message_hot_reads');
});
afterAll(() => t?.close());

const prisma = () => t.deps.prisma;
const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));

async function postMessages(channelId: string, authorId: string, count: number, from = 1) {
  const made = [];
  for (let i = 0; i < count; i++) made.push(await prisma().message.create({ data: { channelId, seq: BigInt(from + i), authorId, body: `m${from + i}` } }));
  return made;
}

describe('reactionCounts', () => {
  it("matches Prisma's rows: per message, emoji in first-use order, ties by emoji", async () => {
    const [alice, bob, carol] = [await createUser(prisma()), await createUser(prisma()), await createUser(prisma())];
    const channelId = await createChannel(prisma(), { members: [alice, bob, carol] });
    const [m1, m2, m3] = await postMessages(channelId, alice.id, 3);
    await prisma().reaction.createMany({
      data: [
        { messageId: m1.id, userId: alice.id, emoji: ':b:', createdAt: at(1) },
        // Same instant as :b:, so the emoji breaks the tie.
        { messageId: m1.id, userId: bob.id, emoji: ':a:', createdAt: at(1) },
        { messageId: m1.id, userId: carol.id, emoji: ':b:', createdAt: at(5) },
        { messageId: m1.id, userId: bob.id, emoji: '👍', createdAt: at(3) },
        { messageId: m1.id, userId: carol.id, emoji: '👍', createdAt: at(4) },
        { messageId: m3.id, userId: bob.id, emoji: ':z:', createdAt: at(2) },
      ],
    });
    const ids = [m1.id, randomUUID(), m2.id, 'not-a-uuid', m3.id];

    const counts = await reactionCounts(prisma(), ids);
    expect(counts).toEqual(await countsViaPrisma(ids));
    expect(counts.get(m1.id)).toEqual([
      { emoji: ':a:', count: 1 },
      { emoji: ':b:', count: 2 },
      { emoji: '👍', count: 2 },
    ]);
    expect([...counts.keys()]).toEqual(ids);
    expect(await reactionCounts(prisma(), [])).toEqual(new Map());
    expect(await reactionCounts(prisma(), ['nope'])).toEqual(new Map([['nope', []]]));
  });

  /** The counts from Prisma's own rows: each (message, emoji) ordered by its first use, then by emoji. */
  async function countsViaPrisma(ids: string[]) {
    const rows = await prisma().reaction.findMany({ where: { messageId: { in: ids.filter(isUuid) } } });
    const groups = new Map<string, { messageId: string; emoji: string; count: number; first: number }>();
    for (const r of rows) {
      const key = `${r.messageId} ${r.emoji}`;
      const g = groups.get(key) ?? { messageId: r.messageId, emoji: r.emoji, count: 0, first: Infinity };
      groups.set(key, { ...g, count: g.count + 1, first: Math.min(g.first, r.createdAt.getTime()) });
    }
    const sorted = [...groups.values()].sort((a, b) => a.first - b.first || (a.emoji < b.emoji ? -1 : a.emoji > b.emoji ? 1 : 0));
    return new Map(ids.map((id) => [id, sorted.filter((g) => g.messageId === id).map(({ emoji, count }) => ({ emoji, count }))]));
  }
});

describe('reactionsBy', () => {
  it("matches Prisma's rows: only the user's own reactions, on the messages asked", async () => {
    const [alice, bob] = [await createUser(prisma()), await createUser(prisma())];
    const channelId = await createChannel(prisma(), { members: [alice, bob] });
    const [m1, m2, m3] = await postMessages(channelId, alice.id, 3);
    await prisma().reaction.createMany({
      data: [
        { messageId: m1.id, userId: bob.id, emoji: ':a:' },
        { messageId: m1.id, userId: bob.id, emoji: '👍' },
        { messageId: m1.id, userId: alice.id, emoji: ':c:' },
        { messageId: m2.id, userId: alice.id, emoji: ':a:' },
        { messageId: m3.id, userId: bob.id, emoji: ':d:' },
      ],
    });
    const ids = [m1.id, m2.id, randomUUID(), 'not-a-uuid'];
    const viaPrisma = await prisma().reaction.findMany({ where: { userId: bob.id, messageId: { in: [m1.id, m2.id] } }, select: { messageId: true, emoji: true } });
    const sortKey = (r: { messageId: string; emoji: string }) => `${r.messageId} ${r.emoji}`;
    const sorted = <T extends { messageId: string; emoji: string }>(rows: T[]) => [...rows].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));

    const rows = await reactionsBy(prisma(), bob.id, ids);
    expect(sorted(rows)).toEqual(sorted(viaPrisma));
    expect(rows).toHaveLength(2);
    expect(await reactionsBy(prisma(), bob.id, [])).toEqual([]);
    expect(await reactionsBy(prisma(), `user-${randomUUID()}`, ids)).toEqual([]);
  });
});

describe('readStates', () => {
  it('matches what Prisma counts: after the marker, not deleted, not the reader\'s own, capped', async () => {
    const [reader, writer] = [await createUser(prisma()), await createUser(prisma())];
    const marked = await createChannel(prisma(), { members: [reader, writer] });
    const unmarked = await createChannel(prisma(), { members: [reader, writer] });
    const busy = await createChannel(prisma(), { members: [reader, writer] });
    const quiet = await createChannel(prisma(), { members: [reader] });

    const inMarked = await postMessages(marked, writer.id, 6);
    await prisma().message.update({ where: { id: inMarked[4].id }, data: { deletedAt: new Date() } });
    await postMessages(marked, reader.id, 2, 7);
    await prisma().readMarker.create({ data: { userId: reader.id, channelId: marked, lastReadSeq: 2n, lastReadMessageId: inMarked[1].id } });
    await postMessages(unmarked, writer.id, 3);
    await prisma().message.createMany({
      data: Array.from({ length: MAX_UNREAD_COUNT + 5 }, (_, i) => ({ channelId: busy, seq: BigInt(i + 1), authorId: writer.id, body: `b${i}` })),
    });
    // Another reader's marker is not this reader's.
    await prisma().readMarker.create({ data: { userId: writer.id, channelId: unmarked, lastReadSeq: 3n, lastReadMessageId: inMarked[0].id } });

    const ids = [marked, unmarked, busy, quiet, randomUUID(), 'not-a-uuid'];
    const states = await readStates(prisma(), reader.id, ids);
    const expected = new Map(await Promise.all(ids.slice(0, 5).map(async (id) => [id, await stateViaPrisma(reader.id, id)] as const)));
    expect(states).toEqual(expected);
    expect(states.get(marked)).toEqual({ lastReadMessageId: inMarked[1].id, unreadCount: 3 });
    expect(states.get(unmarked)).toEqual({ lastReadMessageId: null, unreadCount: 3 });
    expect(states.get(busy)?.unreadCount).toBe(MAX_UNREAD_COUNT);
    expect(states.has('not-a-uuid')).toBe(false);
    expect(await readStates(prisma(), reader.id, [])).toEqual(new Map());
    expect(await readStates(prisma(), reader.id, ['nope'])).toEqual(new Map());
  });

  async function stateViaPrisma(userId: string, channelId: string) {
    const marker = await prisma().readMarker.findUnique({ where: { userId_channelId: { userId, channelId } } });
    const unread = await prisma().message.count({
      where: { channelId, seq: { gt: marker?.lastReadSeq ?? 0n }, deletedAt: null, authorId: { not: userId } },
    });
    return { lastReadMessageId: marker?.lastReadMessageId ?? null, unreadCount: Math.min(unread, MAX_UNREAD_COUNT) };
  }
});
