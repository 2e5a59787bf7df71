import { randomUUID } from 'node:crypto';
import { encodeCursor, poolOf } from '@commons/shared';
import { startSubgraph } from '../../../tests/testkit/subgraph';
import { createChannelSubgraph } from '../src/server';
import { builders, CHANNEL, errorCode, newViewer } from './helpers';

let sg: Awaited<ReturnType<typeof startSubgraph>>;
let build: ReturnType<typeof builders>;

beforeAll(async () => {
  sg = await startSubgraph('channel_queries', createChannelSubgraph);
  build = builders(sg);
});
afterAll(() => sg?.close());
afterEach(() => jest.restoreAllMocks());

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Channel { id name } ... on User { id handle displayName } } }`;

describe('me and user on first sight', () => {
  test('me is null when anonymous, and anonymous callers may do nothing else', async () => {
    expect(await sg.expectData(null, '{ me { id } }')).toEqual({ me: null });
    for (const query of [`{ user(id: "x") { id } }`, `{ channel(id: "${randomUUID()}") { id } }`, '{ channels { edges { cursor } } }']) {
      expect(errorCode(await sg.request(null, query))).toBe('UNAUTHENTICATED');
    }
  });

  test('the first request creates the users row from the claims', async () => {
    const viewer = newViewer('Ada Lovelace', 'ada');
    const { me } = await sg.expectData(viewer, '{ me { id handle displayName avatarUrl createdAt } }');
    expect(me).toMatchObject({ id: viewer.id, handle: 'ada', displayName: 'Ada Lovelace', avatarUrl: null });
    expect(new Date(me.createdAt).toISOString()).toBe(me.createdAt);
    const row = await sg.deps.prisma.user.findUniqueOrThrow({ where: { id: viewer.id } });
    expect(row).toMatchObject({ handle: 'ada', displayName: 'Ada Lovelace' });
  });

  test('a missing handle is derived from the name, then from the id', async () => {
    const named = { id: `user-${randomUUID()}`, name: '  José   Ünal! ' };
    expect((await sg.expectData(named, '{ me { handle displayName } }')).me).toEqual({ handle: 'jose_unal', displayName: 'José   Ünal!' });
    const bare = { id: `User:${'X'.repeat(40)}` };
    const { me } = await sg.expectData(bare, '{ me { handle displayName } }');
    expect(me).toEqual({ handle: `user_${'x'.repeat(27)}`, displayName: bare.id });
    expect(me.handle).toMatch(/^[a-z0-9_.-]{1,32}$/);
  });

  test('changed claims refresh the profile; unchanged claims write nothing', async () => {
    const viewer = newViewer('Old Name', 'old');
    await sg.expectData(viewer, '{ me { id } }');
    const write = jest.spyOn(sg.deps.prisma, '$executeRaw');
    await sg.expectData(viewer, '{ me { id } }');
    expect(write).not.toHaveBeenCalled();

    const renamed = { ...viewer, name: 'New Name', handle: 'new' };
    expect((await sg.expectData(renamed, '{ me { handle displayName } }')).me).toEqual({ handle: 'new', displayName: 'New Name' });
    expect(write).toHaveBeenCalledTimes(1);
    expect(await sg.deps.prisma.user.count({ where: { id: viewer.id } })).toBe(1);
  });

  test('concurrent first requests of one user all succeed with one row', async () => {
    const viewer = newViewer('Racer');
    const results = await Promise.all(Array.from({ length: 10 }, () => sg.request(viewer, '{ me { id } }')));
    expect(results.map((r) => r.errors)).toEqual(results.map(() => undefined));
    expect(await sg.deps.prisma.user.count({ where: { id: viewer.id } })).toBe(1);
  });

  test('user(id) finds any user for a signed-in caller, null when missing', async () => {
    const other = newViewer('Other', 'other');
    await build.userId(other);
    const me = newViewer();
    expect((await sg.expectData(me, 'query($id: ID!) { user(id: $id) { id handle } }', { id: other.id })).user).toEqual({ id: other.id, handle: 'other' });
    expect((await sg.expectData(me, 'query($id: ID!) { user(id: $id) { id } }', { id: 'nobody' })).user).toBeNull();
  });
});

describe('channel visibility', () => {
  test('channel(id) shows PUBLIC channels to anyone signed in, PRIVATE ones only to members', async () => {
    const owner = newViewer();
    const stranger = newViewer();
    const pub = await build.createChannel(owner, { name: 'pub' });
    const priv = await build.createChannel(owner, { name: 'priv', visibility: 'PRIVATE' });

    expect((await sg.expectData(stranger, CHANNEL, { id: pub.id })).channel).toMatchObject({ name: 'pub', viewerMembership: null });
    expect((await sg.expectData(stranger, CHANNEL, { id: priv.id })).channel).toBeNull();
    expect((await sg.expectData(owner, CHANNEL, { id: priv.id })).channel).toMatchObject({ name: 'priv', viewerMembership: { role: 'OWNER' } });
  });

  test('missing and malformed ids are null, never an error', async () => {
    const viewer = newViewer();
    for (const id of [randomUUID(), 'not-a-uuid', "'; DROP TABLE channels; --"]) {
      expect(await sg.expectData(viewer, CHANNEL, { id })).toEqual({ channel: null });
    }
  });

  test('_entities resolves Channel references only when visible', async () => {
    const owner = newViewer();
    const stranger = newViewer();
    const pub = await build.createChannel(owner, { name: 'pub' });
    const priv = await build.createChannel(owner, { name: 'secret', visibility: 'PRIVATE' });
    const r = [pub.id, priv.id, 'junk', randomUUID()].map((id) => ({ __typename: 'Channel', id }));

    expect((await sg.expectData(stranger, ENTITIES, { r }))._entities).toEqual([{ id: pub.id, name: 'pub' }, null, null, null]);
    expect((await sg.expectData(owner, ENTITIES, { r }))._entities).toEqual([{ id: pub.id, name: 'pub' }, { id: priv.id, name: 'secret' }, null, null]);
    expect(errorCode(await sg.request(null, ENTITIES, { r }))).toBe('UNAUTHENTICATED');
  });

  test('members are listed oldest first with keyset paging; a bad cursor is bad input', async () => {
    const owner = newViewer('Owner');
    const channel = await build.createChannel(owner, { visibility: 'PRIVATE' });
    const invited = [];
    for (let i = 0; i < 5; i++) {
      const v = newViewer(`Member ${i}`);
      await sg.expectData(owner, 'mutation($c: ID!, $u: ID!) { inviteMember(channelId: $c, userId: $u) { role } }', { c: channel.id, u: await build.userId(v) });
      invited.push(v.id);
    }
    const MEMBERS = `query($id: ID!, $after: String) { channel(id: $id) { members(first: 2, after: $after) {
      edges { cursor node { role user { id } channel { id } } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const { members }: any = (await sg.expectData(owner, MEMBERS, { id: channel.id, after })).channel;
      seen.push(...members.edges.map((e: any) => e.node.user.id));
      expect(members.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!members.pageInfo.hasNextPage) break;
      after = members.pageInfo.endCursor;
    }
    expect(seen).toEqual([owner.id, ...invited]);

    const res = await sg.request(owner, `query($id: ID!) { channel(id: $id) { members(after: "garbage") { edges { cursor } } } }`, { id: channel.id });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
  });
});

describe('channels list', () => {
  const LIST = `query($first: Int, $after: String, $kind: ChannelKind, $joined: Boolean) {
    channels(first: $first, after: $after, kind: $kind, joined: $joined) {
      edges { cursor node { id name kind visibility } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

  async function walk(viewer: ReturnType<typeof newViewer>, first: number, vars: Record<string, unknown> = {}) {
    const ids: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 1000; pages++) {
      const { channels }: any = await sg.expectData(viewer, LIST, { first, after, ...vars });
      expect(channels.edges.length).toBeLessThanOrEqual(first);
      ids.push(...channels.edges.map((e: any) => e.node.id));
      if (!channels.pageInfo.hasNextPage) return ids;
      after = channels.pageInfo.endCursor;
    }
    throw new Error('paging did not end');
  }

  test('walks >100 channels newest first with no gap or duplicate, ties broken by id', async () => {
    // Rows inserted directly, several per timestamp, so the (createdAt, id) tiebreak is exercised.
    const owner = newViewer();
    await build.userId(owner);
    const base = Date.now() - 1_000_000;
    const data = Array.from({ length: 130 }, (_, i) => ({
      id: randomUUID(),
      name: `bulk ${i}`,
      kind: 'FORUM' as const,
      createdById: owner.id,
      createdAt: new Date(base + Math.floor(i / 4) * 1000),
    }));
    await sg.deps.prisma.channel.createMany({ data });
    const expected = [...data]
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .map((c) => c.id);

    const walker = newViewer();
    const small = await walk(walker, 7, { kind: 'FORUM' });
    expect(small).toEqual(expected);
    expect(new Set(small).size).toBe(130);
    expect(await walk(walker, 100, { kind: 'FORUM' })).toEqual(expected);
  });

  test('only visible channels; kind and joined filter', async () => {
    const owner = newViewer();
    const me = newViewer();
    const mine = await build.createChannel(me, { name: 'mine', kind: 'VOICE' });
    const theirsPublic = await build.createChannel(owner, { name: 'theirs', kind: 'VOICE' });
    const theirsPrivate = await build.createChannel(owner, { name: 'hidden', kind: 'VOICE', visibility: 'PRIVATE' });
    const invitedPrivate = await build.withMember(owner, me, 'MEMBER', { name: 'invited', kind: 'VOICE', visibility: 'PRIVATE' });

    const all = await walk(me, 100, { kind: 'VOICE' });
    expect(all).toEqual(expect.arrayContaining([mine.id, theirsPublic.id, invitedPrivate.id]));
    expect(all).not.toContain(theirsPrivate.id);
    expect(await walk(me, 100, { kind: 'VOICE', joined: true })).toEqual([invitedPrivate.id, mine.id]);
    const notJoined = await walk(me, 100, { kind: 'VOICE', joined: false });
    expect(notJoined).toContain(theirsPublic.id);
    expect(notJoined).not.toEqual(expect.arrayContaining([mine.id]));
    expect(notJoined).not.toContain(theirsPrivate.id);
    expect(notJoined).not.toContain(invitedPrivate.id);

    const { channels } = await sg.expectData(me, LIST, { first: 100, kind: 'TEXT', joined: true });
    expect(channels).toEqual({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
  });

  test('rejects first > 100, negative first and bad cursors', async () => {
    const viewer = newViewer();
    for (const [vars, field] of [
      [{ first: 101 }, 'first'],
      [{ first: -1 }, 'first'],
      [{ after: 'garbage' }, 'after'],
      [{ after: encodeCursor('member', [new Date().toISOString(), 'x']) }, 'after'],
      [{ after: encodeCursor('channel', ['not a date', randomUUID()]) }, 'after'],
      [{ after: encodeCursor('channel', [new Date().toISOString(), 'not-a-uuid']) }, 'after'],
    ] as const) {
      const res = await sg.request(viewer, LIST, vars);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].extensions?.field).toBe(field);
    }
  });
});

describe('batching', () => {
  test('_entities with 100 User references costs one user query', async () => {
    const viewers = Array.from({ length: 100 }, (_, i) => newViewer(`Batch ${i}`, `batch${i}`));
    await Promise.all(viewers.map((v) => build.userId(v)));
    const statements = jest.spyOn(poolOf(sg.deps.prisma), 'query');
    const r = viewers.map((v) => ({ __typename: 'User', id: v.id }));
    const { _entities } = await sg.expectData(viewers[0], ENTITIES, { r });
    expect(_entities.map((u: any) => u.handle)).toEqual(viewers.map((v) => v.handle));
    expect(statements).toHaveBeenCalledTimes(1);
  });

  test('_entities with 100 Channel references costs a bounded number of queries', async () => {
    const owner = newViewer();
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push((await build.createChannel(owner, { name: `c${i}`, visibility: i % 2 ? 'PRIVATE' : 'PUBLIC' })).id);
    const statements = jest.spyOn(poolOf(sg.deps.prisma), 'query');
    const r = ids.map((id) => ({ __typename: 'Channel', id }));
    const { _entities } = await sg.expectData(owner, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Channel { id name viewerMembership { role } } } }`, { r });
    expect(_entities.map((c: any) => c.id)).toEqual(ids);
    expect(_entities.every((c: any) => c.viewerMembership.role === 'OWNER')).toBe(true);
    // The rows, their visibility and the caller's memberships: all one statement.
    expect(statements).toHaveBeenCalledTimes(1);
  });
});
