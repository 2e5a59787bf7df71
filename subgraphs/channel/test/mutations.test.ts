import { randomUUID } from 'node:crypto';
import { topics, type AsyncQueue, type MembershipChangedEvent } from '@commons/shared';
import { startSubgraph } from '../../../tests/testkit/subgraph';
import { createChannelSubgraph } from '../src/server';
import { builders, CHANNEL, CREATE_CHANNEL, errorCode, INVITE, JOIN, LEAVE, newViewer, REMOVE, SET_ROLE } from './helpers';

let sg: Awaited<ReturnType<typeof startSubgraph>>;
let build: ReturnType<typeof builders>;

beforeAll(async () => {
  sg = await startSubgraph('channel_mutations', createChannelSubgraph);
  build = builders(sg);
});
afterAll(() => sg?.close());
afterEach(() => jest.restoreAllMocks());

const UPDATE = `mutation($id: ID!, $name: String, $topic: String) { updateChannel(id: $id, name: $name, topic: $topic) { id name topic } }`;
const ARCHIVE = `mutation($id: ID!) { archiveChannel(id: $id) { id archivedAt } }`;

const memberCount = async (id: string) => (await sg.deps.prisma.channel.findUniqueOrThrow({ where: { id } })).memberCount;
const memberRows = (channelId: string) => sg.deps.prisma.membership.count({ where: { channelId } });

/** Collects the membership events of one channel until `count` have arrived. */
async function collectEvents(channelId: string) {
  const queue: AsyncQueue<MembershipChangedEvent> = await sg.deps.pubsub.subscribe(topics.membershipChanged(channelId));
  return {
    async take(count: number): Promise<MembershipChangedEvent[]> {
      const events: MembershipChangedEvent[] = [];
      for await (const event of queue) {
        events.push(event);
        if (events.length === count) break; // breaking closes the queue (unsubscribes)
      }
      return events;
    },
    close: () => queue.close(),
  };
}

describe('createChannel', () => {
  test('the caller becomes OWNER of a channel with one member; input is trimmed', async () => {
    const owner = newViewer();
    const channel = await build.createChannel(owner, { name: '  lobby  ', topic: '  hello  ', kind: 'FORUM' });
    expect(channel).toMatchObject({ name: 'lobby', topic: 'hello', kind: 'FORUM', visibility: 'PUBLIC', archivedAt: null, memberCount: 1 });
    const rows = await sg.deps.prisma.membership.findMany({ where: { channelId: channel.id } });
    expect(rows).toEqual([expect.objectContaining({ userId: owner.id, role: 'OWNER' })]);
    expect(await build.createChannel(newViewer(), { topic: '   ' })).toMatchObject({ topic: null });
  });

  test('names are 1..80 characters and topics at most 500; bad input stores nothing', async () => {
    const owner = newViewer();
    const before = await sg.deps.prisma.channel.count();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: '' }, 'name'],
      [{ name: '   \n\t ' }, 'name'],
      [{ name: 'x'.repeat(81) }, 'name'],
      [{ topic: 't'.repeat(501) }, 'topic'],
    ];
    for (const [input, field] of cases) {
      const res = await sg.request(owner, CREATE_CHANNEL, { input: { name: 'ok', kind: 'TEXT', ...input } });
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].extensions?.field).toBe(field);
    }
    // Limits count characters, not UTF-16 units: 80 emoji are a valid name.
    expect((await build.createChannel(owner, { name: '🎉'.repeat(80), topic: 't'.repeat(500) })).name).toBe('🎉'.repeat(80));
    expect(await sg.deps.prisma.channel.count()).toBe(before + 1);
    expect(errorCode(await sg.request(owner, CREATE_CHANNEL, { input: { name: 'x', kind: 'NOPE' } }))).toBe('BAD_USER_INPUT');
  });

  test('anonymous callers cannot create', async () => {
    expect(errorCode(await sg.request(null, CREATE_CHANNEL, { input: { name: 'x', kind: 'TEXT' } }))).toBe('UNAUTHENTICATED');
  });
});

describe('updateChannel and archiveChannel', () => {
  test('OWNER and ADMIN update; an empty topic clears it; omitted fields stay', async () => {
    const owner = newViewer();
    const admin = newViewer();
    const channel = await build.withMember(owner, admin, 'ADMIN', { name: 'before', topic: 'a topic' });
    expect((await sg.expectData(owner, UPDATE, { id: channel.id, name: ' after ' })).updateChannel).toMatchObject({ name: 'after', topic: 'a topic' });
    expect((await sg.expectData(admin, UPDATE, { id: channel.id, topic: '' })).updateChannel).toMatchObject({ name: 'after', topic: null });
  });

  test('an update without changes returns the channel as it is', async () => {
    const owner = newViewer();
    const channel = await build.createChannel(owner, { name: 'same', topic: 'kept' });
    expect((await sg.expectData(owner, UPDATE, { id: channel.id })).updateChannel).toEqual({ id: channel.id, name: 'same', topic: 'kept' });
  });

  test('MEMBER and non-member are FORBIDDEN; invisible and malformed ids NOT_FOUND; bad input is rejected', async () => {
    const owner = newViewer();
    const member = newViewer();
    const channel = await build.withMember(owner, member, 'MEMBER');
    const priv = await build.createChannel(owner, { visibility: 'PRIVATE' });
    expect(errorCode(await sg.request(member, UPDATE, { id: channel.id, name: 'x' }))).toBe('FORBIDDEN');
    expect(errorCode(await sg.request(newViewer(), UPDATE, { id: channel.id, name: 'x' }))).toBe('FORBIDDEN');
    expect(errorCode(await sg.request(newViewer(), UPDATE, { id: priv.id, name: 'x' }))).toBe('NOT_FOUND');
    expect(errorCode(await sg.request(owner, UPDATE, { id: 'bad-id', name: 'x' }))).toBe('NOT_FOUND');
    expect(errorCode(await sg.request(owner, UPDATE, { id: channel.id, name: '  ' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await sg.request(owner, UPDATE, { id: channel.id, topic: 'x'.repeat(501) }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await sg.request(null, UPDATE, { id: channel.id, name: 'x' }))).toBe('UNAUTHENTICATED');
    expect((await sg.deps.prisma.channel.findUniqueOrThrow({ where: { id: channel.id } })).name).toBe('general');
  });

  test('only the OWNER archives; archiving twice keeps the first time; an archived channel takes no updates or members', async () => {
    const owner = newViewer();
    const admin = newViewer();
    const channel = await build.withMember(owner, admin, 'ADMIN');
    expect(errorCode(await sg.request(admin, ARCHIVE, { id: channel.id }))).toBe('FORBIDDEN');
    expect(errorCode(await sg.request(newViewer(), ARCHIVE, { id: channel.id }))).toBe('FORBIDDEN');
    expect(errorCode(await sg.request(owner, ARCHIVE, { id: randomUUID() }))).toBe('NOT_FOUND');

    const first = (await sg.expectData(owner, ARCHIVE, { id: channel.id })).archiveChannel.archivedAt;
    expect(first).toEqual(expect.any(String));
    expect((await sg.expectData(owner, ARCHIVE, { id: channel.id })).archiveChannel.archivedAt).toBe(first);

    expect(errorCode(await sg.request(admin, UPDATE, { id: channel.id, name: 'x' }))).toBe('CONFLICT');
    expect(errorCode(await sg.request(newViewer(), JOIN, { id: channel.id }))).toBe('CONFLICT');
    expect(errorCode(await sg.request(owner, INVITE, { c: channel.id, u: await build.userId(newViewer()) }))).toBe('CONFLICT');
    // Joining a channel one already belongs to is not a new member: it still answers the membership.
    expect((await sg.expectData(admin, JOIN, { id: channel.id })).joinChannel.role).toBe('ADMIN');
    expect(await memberCount(channel.id)).toBe(2);
  });
});

describe('joinChannel and leaveChannel', () => {
  test('joining a PUBLIC channel is idempotent and counts once; it publishes JOINED once', async () => {
    const owner = newViewer();
    const joiner = newViewer('Joiner');
    const channel = await build.createChannel(owner);
    const events = await collectEvents(channel.id);
    const first = (await sg.expectData(joiner, JOIN, { id: channel.id })).joinChannel;
    expect(first).toMatchObject({ role: 'MEMBER', user: { id: joiner.id, displayName: 'Joiner' }, channel: { id: channel.id, memberCount: 2 } });
    const again = (await sg.expectData(joiner, JOIN, { id: channel.id })).joinChannel;
    expect(again.joinedAt).toBe(first.joinedAt);
    expect(await memberCount(channel.id)).toBe(2);
    // Leaving publishes too; only two events arrive for join, join-again, leave.
    expect((await sg.expectData(joiner, LEAVE, { id: channel.id })).leaveChannel).toBe(true);
    expect(await events.take(2)).toEqual([
      { channelId: channel.id, userId: joiner.id, change: 'JOINED' },
      { channelId: channel.id, userId: joiner.id, change: 'LEFT' },
    ]);
  });

  test('a PRIVATE channel is NOT_FOUND unless the caller was invited', async () => {
    const owner = newViewer();
    const invited = newViewer();
    const channel = await build.createChannel(owner, { visibility: 'PRIVATE' });
    expect(errorCode(await sg.request(newViewer(), JOIN, { id: channel.id }))).toBe('NOT_FOUND');
    await sg.expectData(owner, INVITE, { c: channel.id, u: await build.userId(invited) });
    expect((await sg.expectData(invited, JOIN, { id: channel.id })).joinChannel.role).toBe('MEMBER');
    expect(await memberCount(channel.id)).toBe(2);
  });

  test('missing and malformed channel ids', async () => {
    const viewer = newViewer();
    for (const id of [randomUUID(), 'nope']) {
      expect(errorCode(await sg.request(viewer, JOIN, { id }))).toBe('NOT_FOUND');
      expect((await sg.expectData(viewer, LEAVE, { id })).leaveChannel).toBe(false);
    }
    expect(errorCode(await sg.request(null, JOIN, { id: randomUUID() }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await sg.request(null, LEAVE, { id: randomUUID() }))).toBe('UNAUTHENTICATED');
  });

  test('20 concurrent joins (and repeats) give an exact memberCount', async () => {
    const channel = await build.createChannel(newViewer());
    const joiners = Array.from({ length: 20 }, (_, i) => newViewer(`Concurrent ${i}`));
    const results = await Promise.all([...joiners, ...joiners.slice(0, 5)].map((v) => sg.request(v, JOIN, { id: channel.id })));
    expect(results.filter((r) => r.errors)).toEqual([]);
    expect(await memberCount(channel.id)).toBe(21);
    expect(await memberRows(channel.id)).toBe(21);

    const left = await Promise.all(joiners.slice(0, 10).map((v) => sg.expectData(v, LEAVE, { id: channel.id })));
    expect(left.every((r) => r.leaveChannel === true)).toBe(true);
    expect(await memberCount(channel.id)).toBe(11);
  });

  test('leaving when not a member is false; the last OWNER cannot leave while others remain', async () => {
    const owner = newViewer();
    const member = newViewer();
    const channel = await build.withMember(owner, member, 'MEMBER');
    expect((await sg.expectData(newViewer(), LEAVE, { id: channel.id })).leaveChannel).toBe(false);
    expect(errorCode(await sg.request(owner, LEAVE, { id: channel.id }))).toBe('CONFLICT');
    expect(await memberCount(channel.id)).toBe(2);

    await sg.expectData(owner, SET_ROLE, { c: channel.id, u: member.id, r: 'OWNER' });
    expect((await sg.expectData(owner, LEAVE, { id: channel.id })).leaveChannel).toBe(true);
    // The last member may leave, even as the last OWNER; the channel is then empty.
    expect((await sg.expectData(member, LEAVE, { id: channel.id })).leaveChannel).toBe(true);
    expect(await memberCount(channel.id)).toBe(0);
  });

  test('of two OWNERs leaving at once with others present, exactly one succeeds', async () => {
    for (let round = 0; round < 5; round++) {
      const a = newViewer();
      const b = newViewer();
      const channel = await build.withMember(a, b, 'OWNER');
      await build.join(newViewer(), channel.id);
      const results = await Promise.all([a, b].map((v) => sg.request(v, LEAVE, { id: channel.id })));
      expect(results.filter((r) => r.data?.leaveChannel === true)).toHaveLength(1);
      expect(results.filter((r) => r.errors?.[0].extensions?.code === 'CONFLICT')).toHaveLength(1);
      expect(await sg.deps.prisma.membership.count({ where: { channelId: channel.id, role: 'OWNER' } })).toBe(1);
      expect(await memberCount(channel.id)).toBe(2);
    }
  });

  test('a committed change survives a pub/sub failure', async () => {
    const channel = await build.createChannel(newViewer());
    jest.spyOn(sg.deps.pubsub, 'publish').mockRejectedValue(new Error('redis down'));
    expect((await sg.expectData(newViewer(), JOIN, { id: channel.id })).joinChannel.role).toBe('MEMBER');
    expect(await memberCount(channel.id)).toBe(2);
  });

  test('a read after a join in the same request sees it', async () => {
    const channel = await build.createChannel(newViewer(), { visibility: 'PUBLIC' });
    const viewer = newViewer();
    const data = await sg.expectData(
      viewer,
      `mutation($id: ID!) { joinChannel(channelId: $id) { role channel { memberCount viewerMembership { role } } } }`,
      { id: channel.id },
    );
    expect(data.joinChannel).toEqual({ role: 'MEMBER', channel: { memberCount: 2, viewerMembership: { role: 'MEMBER' } } });
  });
});

describe('inviteMember', () => {
  test('OWNER and ADMIN invite (idempotently); MEMBER, outsiders and anonymous cannot', async () => {
    const owner = newViewer();
    const admin = newViewer();
    const member = newViewer();
    const channel = await build.withMember(owner, admin, 'ADMIN', { visibility: 'PRIVATE' });
    const events = await collectEvents(channel.id);
    const target = await build.userId(member);
    const first = (await sg.expectData(admin, INVITE, { c: channel.id, u: target })).inviteMember;
    expect(first).toMatchObject({ role: 'MEMBER', user: { id: member.id } });
    expect((await sg.expectData(owner, INVITE, { c: channel.id, u: target })).inviteMember.joinedAt).toBe(first.joinedAt);
    expect(await memberCount(channel.id)).toBe(3);
    expect(await events.take(1)).toEqual([{ channelId: channel.id, userId: member.id, change: 'JOINED' }]);

    const other = await build.userId(newViewer());
    expect(errorCode(await sg.request(member, INVITE, { c: channel.id, u: other }))).toBe('FORBIDDEN');
    expect(errorCode(await sg.request(newViewer(), INVITE, { c: channel.id, u: other }))).toBe('NOT_FOUND');
    expect(errorCode(await sg.request(null, INVITE, { c: channel.id, u: other }))).toBe('UNAUTHENTICATED');
    expect(await memberCount(channel.id)).toBe(3);
  });

  test('the invited user must exist; the channel id must be valid', async () => {
    const owner = newViewer();
    const channel = await build.createChannel(owner);
    const res = await sg.request(owner, INVITE, { c: channel.id, u: 'ghost' });
    expect(errorCode(res)).toBe('NOT_FOUND');
    expect(res.errors?.[0].message).toMatch(/User/);
    expect(errorCode(await sg.request(owner, INVITE, { c: 'bad', u: owner.id }))).toBe('NOT_FOUND');
    expect(await memberCount(channel.id)).toBe(1);
  });
});

describe('setMemberRole', () => {
  test('only an OWNER changes roles; the target must be a member', async () => {
    const owner = newViewer();
    const admin = newViewer();
    const channel = await build.withMember(owner, admin, 'ADMIN');
    const member = newViewer();
    await build.join(member, channel.id);

    expect(errorCode(await sg.request(admin, SET_ROLE, { c: channel.id, u: member.id, r: 'ADMIN' }))).toBe('FORBIDDEN');
    expect(errorCode(await sg.request(member, SET_ROLE, { c: channel.id, u: member.id, r: 'OWNER' }))).toBe('FORBIDDEN');
    expect(errorCode(await sg.request(newViewer(), SET_ROLE, { c: channel.id, u: member.id, r: 'ADMIN' }))).toBe('FORBIDDEN');
    const missing = await sg.request(owner, SET_ROLE, { c: channel.id, u: await build.userId(newViewer()), r: 'ADMIN' });
    expect(errorCode(missing)).toBe('NOT_FOUND');
    expect(missing.errors?.[0].message).toMatch(/Membership/);

    expect((await sg.expectData(owner, SET_ROLE, { c: channel.id, u: member.id, r: 'ADMIN' })).setMemberRole).toEqual({ role: 'ADMIN', user: { id: member.id } });
    expect((await sg.expectData(owner, SET_ROLE, { c: channel.id, u: admin.id, r: 'MEMBER' })).setMemberRole.role).toBe('MEMBER');
  });

  test('the last OWNER cannot be demoted; with two, one can', async () => {
    const owner = newViewer();
    const second = newViewer();
    const channel = await build.withMember(owner, second, 'MEMBER');
    expect(errorCode(await sg.request(owner, SET_ROLE, { c: channel.id, u: owner.id, r: 'ADMIN' }))).toBe('CONFLICT');
    await sg.expectData(owner, SET_ROLE, { c: channel.id, u: second.id, r: 'OWNER' });
    expect((await sg.expectData(second, SET_ROLE, { c: channel.id, u: owner.id, r: 'MEMBER' })).setMemberRole.role).toBe('MEMBER');
    expect(errorCode(await sg.request(second, SET_ROLE, { c: channel.id, u: second.id, r: 'MEMBER' }))).toBe('CONFLICT');
  });
});

describe('removeMember', () => {
  test('an OWNER removes anyone but the last OWNER; counts and events follow', async () => {
    const owner = newViewer();
    const admin = newViewer();
    const channel = await build.withMember(owner, admin, 'ADMIN');
    const events = await collectEvents(channel.id);
    expect((await sg.expectData(owner, REMOVE, { c: channel.id, u: admin.id })).removeMember).toBe(true);
    expect((await sg.expectData(owner, REMOVE, { c: channel.id, u: admin.id })).removeMember).toBe(false);
    expect(await memberCount(channel.id)).toBe(1);
    expect(await events.take(1)).toEqual([{ channelId: channel.id, userId: admin.id, change: 'LEFT' }]);
    expect((await sg.expectData(admin, CHANNEL, { id: channel.id })).channel.viewerMembership).toBeNull();
  });

  test('an ADMIN removes MEMBERs only; MEMBERs and outsiders remove no one', async () => {
    const owner = newViewer();
    const admin = newViewer();
    const channel = await build.withMember(owner, admin, 'ADMIN');
    const otherAdmin = newViewer();
    const member = newViewer();
    await build.join(otherAdmin, channel.id);
    await sg.expectData(owner, SET_ROLE, { c: channel.id, u: otherAdmin.id, r: 'ADMIN' });
    await build.join(member, channel.id);

    expect(errorCode(await sg.request(admin, REMOVE, { c: channel.id, u: owner.id }))).toBe('FORBIDDEN');
    expect(errorCode(await sg.request(admin, REMOVE, { c: channel.id, u: otherAdmin.id }))).toBe('FORBIDDEN');
    expect(errorCode(await sg.request(member, REMOVE, { c: channel.id, u: admin.id }))).toBe('FORBIDDEN');
    expect(errorCode(await sg.request(newViewer(), REMOVE, { c: channel.id, u: member.id }))).toBe('FORBIDDEN');
    expect(errorCode(await sg.request(null, REMOVE, { c: channel.id, u: member.id }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await sg.request(admin, REMOVE, { c: 'bad', u: member.id }))).toBe('NOT_FOUND');
    expect(await memberCount(channel.id)).toBe(4);

    expect((await sg.expectData(admin, REMOVE, { c: channel.id, u: member.id })).removeMember).toBe(true);
    expect((await sg.expectData(admin, REMOVE, { c: channel.id, u: 'never-a-member' })).removeMember).toBe(false);
    expect(await memberCount(channel.id)).toBe(3);
    expect(await memberRows(channel.id)).toBe(3);
  });

  test('a removed member of a PRIVATE channel can no longer see it', async () => {
    const owner = newViewer();
    const member = newViewer();
    const channel = await build.withMember(owner, member, 'MEMBER', { visibility: 'PRIVATE' });
    expect((await sg.expectData(member, CHANNEL, { id: channel.id })).channel).not.toBeNull();
    await sg.expectData(owner, REMOVE, { c: channel.id, u: member.id });
    expect((await sg.expectData(member, CHANNEL, { id: channel.id })).channel).toBeNull();
    expect(errorCode(await sg.request(member, JOIN, { id: channel.id }))).toBe('NOT_FOUND');
  });
});
