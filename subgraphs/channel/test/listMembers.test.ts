import { randomUUID } from 'node:crypto';
import { decodeCursor } from '@commons/shared';
import type { Prisma } from '@commons/shared/src/generated/prisma/client';
import { createChannel, createUser } from '../../../tests/testkit/builders';
import { createTestDeps } from '../../../tests/testkit/subgraph';
import { listMembers } from '../src/domain/memberships';

// listMembers reads on pg (a page load lists members): held here to the Prisma read it replaced,
// page by page, across joinedAt ties that only the user id orders, and its members' users to
// Prisma's user rows.

let t: Awaited<ReturnType<typeof createTestDeps>>;
beforeAll(async () => {
  t = await createTestDeps('channel_list_members');
});
afterAll(() => t?.close());

const prisma = () => t.deps.prisma;

/** The read listMembers made through Prisma before it moved to pg. */
function membersViaPrisma(channelId: string, take: number, after?: string) {
  const where: Prisma.MembershipWhereInput = { channelId };
  if (after !== undefined) {
    const [at, userId] = decodeCursor('member', after, 2);
    const joinedAt = new Date(at);
    where.OR = [{ joinedAt: { gt: joinedAt } }, { joinedAt, userId: { gt: userId } }];
  }
  return prisma().membership.findMany({ where, orderBy: [{ joinedAt: 'asc' }, { userId: 'asc' }], take });
}

test("pages like Prisma's read, with joinedAt ties ordered by user id and page boundaries inside a tie", async () => {
  const channelId = await createChannel(prisma());
  const joined = [0, 5, 5, 5, 5, 9, 12.345].map((s) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, s * 1000)));
  for (const [i, joinedAt] of joined.entries()) {
    const user = await createUser(prisma());
    await prisma().membership.create({ data: { channelId, userId: user.id, joinedAt, role: i === 0 ? 'OWNER' : i === 3 ? 'ADMIN' : 'MEMBER' } });
  }
  // Another channel's members never show.
  await createChannel(prisma(), { members: [await createUser(prisma())] });

  const seen: string[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 10; pages++) {
    const page = await listMembers(prisma(), channelId, { first: 2, after });
    expect(page.edges.map((e) => e.node)).toEqual((await membersViaPrisma(channelId, 3, after)).slice(0, 2));
    seen.push(...page.edges.map((e) => e.node.userId));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor ?? undefined;
  }
  const all = await membersViaPrisma(channelId, 100);
  expect(seen).toEqual(all.map((m) => m.userId));
  expect(all).toHaveLength(joined.length);

  // The same statement reads each member's user, as the users' own read gives it.
  const users: unknown[] = [];
  const firstPage = await listMembers(prisma(), channelId, {}, (user) => users.push(user));
  expect(firstPage.edges.map((e) => e.node)).toEqual(all);
  expect(users).toEqual(await Promise.all(all.map((m) => prisma().user.findUniqueOrThrow({ where: { id: m.userId } }))));
  expect(firstPage.edges[0].node).toMatchObject({ role: 'OWNER', joinedAt: joined[0] });
  expect(firstPage.pageInfo.hasNextPage).toBe(false);
});

test('an empty or unknown channel has no members', async () => {
  const empty = await createChannel(prisma());
  for (const channelId of [empty, randomUUID()]) {
    const page = await listMembers(prisma(), channelId, { first: 5 });
    expect(page.edges).toEqual([]);
    expect(page.pageInfo.hasNextPage).toBe(false);
  }
});
