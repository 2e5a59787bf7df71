import { randomUUID } from 'node:crypto';
import {
  ChannelAccess,
  channelAccessById,
  channelMessages,
  channelsById,
  createPrisma,
  messageByClientId,
  messagesById,
  pinnedMessages,
  poolOf,
  usersById,
  usesPreparedStatements,
} from '@commons/shared';
import { createChannel, createUser } from '../../tests/testkit/builders';
import { createTestDeps } from '../../tests/testkit/subgraph';

// The hot reads bypass Prisma: these tests hold them to Prisma's row shapes and to the same
// answers for missing, malformed and hidden rows.

let t: Awaited<ReturnType<typeof createTestDeps>>;
beforeAll(async () => {
  t = await createTestDeps('pg_reads');
});
afterAll(() => t?.close());

const prisma = () => t.deps.prisma;

test('shares the pool Prisma uses: one pool, not two', async () => {
  const pool = poolOf(prisma());
  await prisma().user.count();
  expect(pool.totalCount).toBeGreaterThan(0);
  expect(() => poolOf({} as never)).toThrow(/createPrisma/);
});

test('users come out as Prisma reads them, in key order, null where missing', async () => {
  const a = await createUser(prisma());
  const b = await createUser(prisma());
  await prisma().user.update({ where: { id: b.id }, data: { avatarUrl: 'https://example.com/b.png' } });
  const missing = `user-${randomUUID()}`;
  const rows = await usersById(prisma(), [b.id, missing, a.id, b.id]);
  const expected = await Promise.all([b, a].map(({ id }) => prisma().user.findUniqueOrThrow({ where: { id } })));
  expect(rows).toEqual([expected[0], null, expected[1], expected[0]]);
  expect(rows[0]!.createdAt).toBeInstanceOf(Date);
});

test("channels (whole, and authorization's columns) match Prisma's rows, with the viewer's membership", async () => {
  const member = await createUser(prisma());
  const outsider = await createUser(prisma());
  const open = await createChannel(prisma(), { members: [member], role: 'ADMIN' });
  const hidden = await createChannel(prisma(), { kind: 'FORUM', visibility: 'PRIVATE', archived: true, members: [member] });
  const ids = [hidden, 'not-a-uuid', randomUUID(), open];
  const [hiddenRow, openRow] = await Promise.all([hidden, open].map((id) => prisma().channel.findUniqueOrThrow({ where: { id } })));
  const memberships = await Promise.all(
    [hidden, open].map((channelId) => prisma().membership.findUniqueOrThrow({ where: { channelId_userId: { channelId, userId: member.id } } })),
  );

  expect(await channelsById(prisma(), ids, member.id)).toEqual([
    { channel: hiddenRow, membership: memberships[0] },
    null,
    null,
    { channel: openRow, membership: memberships[1] },
  ]);
  expect(await channelsById(prisma(), ids, outsider.id)).toEqual([{ channel: hiddenRow, membership: null }, null, null, { channel: openRow, membership: null }]);
  const access = ({ id, kind, visibility, archivedAt }: typeof hiddenRow) => ({ id, kind, visibility, archivedAt });
  expect(await channelAccessById(prisma(), ids, null)).toEqual([{ channel: access(hiddenRow), membership: null }, null, null, { channel: access(openRow), membership: null }]);
  expect(hiddenRow).toMatchObject({ kind: 'FORUM', visibility: 'PRIVATE', archivedAt: expect.any(Date) });
});

test('a private channel stays hidden from non-members and from anonymous callers', async () => {
  const member = await createUser(prisma());
  const outsider = await createUser(prisma());
  const hidden = await createChannel(prisma(), { visibility: 'PRIVATE', members: [member] });
  const open = await createChannel(prisma(), { members: [member] });

  const asOutsider = new ChannelAccess(prisma(), outsider);
  expect(await Promise.all([asOutsider.canRead(hidden), asOutsider.canRead(open), asOutsider.role(hidden), asOutsider.membership(open)])).toEqual([false, true, null, null]);
  await expect(asOutsider.requireReadable(hidden)).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
  await expect(asOutsider.requireMember(open)).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });

  const asMember = new ChannelAccess(prisma(), member);
  expect(await asMember.requireMember(hidden)).toMatchObject({ channel: { id: hidden, visibility: 'PRIVATE' }, role: 'MEMBER' });
  const anonymous = new ChannelAccess(prisma(), null);
  expect(await Promise.all([anonymous.canRead(open), anonymous.membership(hidden)])).toEqual([false, null]);
});

test('messages match Prisma (bigint seq beyond 2^53, dates, nulls) and page on seq both ways', async () => {
  const author = await createUser(prisma());
  const channelId = await createChannel(prisma(), { members: [author] });
  const base = 2n ** 53n;
  const made = [];
  for (let i = 1n; i <= 5n; i++) {
    made.push(
      await prisma().message.create({
        data: {
          channelId,
          seq: base + i,
          authorId: author.id,
          body: `m${i}`,
          ...(i === 2n && { clientId: 'c-2', editedAt: new Date(), pinnedAt: new Date(), pinnedById: author.id }),
          ...(i === 3n && { deletedAt: new Date() }),
        },
      }),
    );
  }
  const reply = await prisma().message.update({ where: { id: made[4].id }, data: { replyToId: made[0].id } });
  const rows = [...made.slice(0, 4), reply];

  expect(await messagesById(prisma(), [rows[1].id, 'nope', randomUUID(), rows[4].id])).toEqual([rows[1], null, null, rows[4]]);
  expect((await messagesById(prisma(), [rows[4].id]))[0]!.seq).toBe(base + 5n);

  expect(await channelMessages(prisma(), channelId, { direction: 'forward', limit: 2 })).toEqual(rows.slice(0, 2));
  expect(await channelMessages(prisma(), channelId, { direction: 'forward', bound: base + 3n, limit: 10 })).toEqual(rows.slice(3));
  expect(await channelMessages(prisma(), channelId, { direction: 'backward', limit: 2 })).toEqual([rows[4], rows[3]]);
  expect(await channelMessages(prisma(), channelId, { direction: 'backward', bound: base + 2n, limit: 10 })).toEqual([rows[0]]);
  expect(await channelMessages(prisma(), randomUUID(), { direction: 'backward', limit: 10 })).toEqual([]);
});

test("pinned messages match Prisma's read: several channels, newest pin first, ties by id, deleted and unpinned left out", async () => {
  const author = await createUser(prisma());
  const [a, b, none] = [await createChannel(prisma(), { members: [author] }), await createChannel(prisma(), { members: [author] }), await createChannel(prisma())];
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  const post = (channelId: string, seq: bigint, extra: { pinnedAt?: Date; deletedAt?: Date }) =>
    prisma().message.create({ data: { channelId, seq, authorId: author.id, body: `m${seq}`, pinnedById: extra.pinnedAt && author.id, ...extra } });
  // Three pins at the same instant in `a`: only the id orders them.
  for (let i = 1n; i <= 3n; i++) await post(a, i, { pinnedAt: at(5) });
  await post(a, 4n, { pinnedAt: at(9) });
  await post(a, 5n, { pinnedAt: at(7), deletedAt: at(8) });
  await post(a, 6n, {});
  await post(b, 1n, { pinnedAt: at(1) });

  const ids = [b, randomUUID(), a, none, 'not-a-uuid'];
  const viaPrisma = await prisma().message.findMany({
    where: { channelId: { in: [a, b, none] }, pinnedAt: { not: null }, deletedAt: null },
    orderBy: [{ pinnedAt: 'desc' }, { id: 'desc' }],
  });
  const rows = await pinnedMessages(prisma(), ids);
  expect(rows).toEqual(viaPrisma);
  expect(rows.map((r) => r.body)).toEqual(['m4', expect.any(String), expect.any(String), expect.any(String), 'm1']);
  const tied = rows.slice(1, 4).map((r) => r.id);
  expect(tied).toEqual([...tied].sort().reverse());
  expect(await pinnedMessages(prisma(), [])).toEqual([]);
  expect(await pinnedMessages(prisma(), ['nope', randomUUID()])).toEqual([]);
});

test('a message by its clientId matches Prisma, and is per author', async () => {
  const [author, other] = [await createUser(prisma()), await createUser(prisma())];
  const channelId = await createChannel(prisma(), { members: [author, other] });
  const sent = await prisma().message.create({ data: { channelId, seq: 1n, authorId: author.id, body: 'hi', clientId: 'c-1', replyToId: null } });
  expect(await messageByClientId(prisma(), author.id, 'c-1')).toEqual(
    await prisma().message.findUnique({ where: { authorId_clientId: { authorId: author.id, clientId: 'c-1' } } }),
  );
  expect((await messageByClientId(prisma(), author.id, 'c-1'))?.id).toBe(sent.id);
  expect(await messageByClientId(prisma(), other.id, 'c-1')).toBeNull();
  expect(await messageByClientId(prisma(), author.id, 'c-2')).toBeNull();
});

test('runs as named prepared statements where the client uses them, with the same rows as unnamed ones', async () => {
  const users = [await createUser(prisma()), await createUser(prisma())];
  const ids = users.map((u) => u.id);
  const unnamed = createPrisma({ url: t.db.url, poolSize: 2, connectTimeoutMs: 5000 });
  try {
    const sent = (client: typeof unnamed) => {
      const spy = jest.spyOn(poolOf(client), 'query');
      return () => {
        const configs = spy.mock.calls.map((call) => call[0] as unknown as { name?: string; text: string });
        spy.mockRestore();
        return configs;
      };
    };
    const namedSent = sent(prisma());
    // Twice on each connection of the pool: the second run uses what the first prepared.
    const named = await Promise.all(Array.from({ length: 6 }, () => usersById(prisma(), ids)));
    const unnamedSent = sent(unnamed);
    const plain = await usersById(unnamed, ids);
    for (const rows of named) expect(rows).toEqual(plain);

    const [first, ...rest] = namedSent();
    expect(first.name).toMatch(/^commons_\d+$/);
    // One name per statement text, the same every time.
    expect(new Set(rest.map((c) => c.name))).toEqual(new Set([first.name]));
    expect(unnamedSent().map((c) => c.name)).toEqual([undefined]);
    expect(usesPreparedStatements(prisma())).toBe(true);
    expect(usesPreparedStatements(unnamed)).toBe(false);
  } finally {
    await unnamed.$disconnect();
  }
});
