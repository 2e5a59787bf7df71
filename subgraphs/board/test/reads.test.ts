import { randomUUID } from 'node:crypto';
import type { Viewer } from '@commons/shared';
import { insertReply } from '../src/domain/posts';
import { createChannel, createUser, startBoardSubgraph } from './helpers';

const CREATE = `mutation ($input: CreateThreadInput!) { createThread(input: $input) { id postCount } }`;
const THREAD = `query ($id: ID!) { thread(id: $id) { id title } }`;

let subgraph: Awaited<ReturnType<typeof startBoardSubgraph>>;
beforeAll(async () => {
  subgraph = await startBoardSubgraph('board_reads');
});
afterAll(() => subgraph.close());

const prisma = () => subgraph.deps.prisma;
const codeOf = (res: { errors?: Array<{ extensions?: Record<string, any> }> }) => res.errors?.[0]?.extensions?.code;

async function thread(viewer: Viewer, channelId: string, title: string): Promise<string> {
  return (await subgraph.expectData(viewer, CREATE, { input: { channelId, title, body: `${title} opens` } })).createThread.id;
}

/** A member, an outsider, a public and a private forum. */
async function world() {
  const member = await createUser(prisma());
  const outsider = await createUser(prisma());
  const publicForum = await createChannel(prisma(), { members: [member] });
  const privateForum = await createChannel(prisma(), { visibility: 'PRIVATE', members: [member] });
  return { member, outsider, publicForum, privateForum };
}

describe('thread(id)', () => {
  it('answers UNAUTHENTICATED without a viewer', async () => {
    const w = await world();
    const id = await thread(w.member, w.publicForum, 'hello');
    expect(codeOf(await subgraph.request(null, THREAD, { id }))).toBe('UNAUTHENTICATED');
  });
});

describe('_entities', () => {
  const ENTITIES = `query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Thread { id title postCount posts(first: 2) { edges { node { id body thread { id } } } } }
      ... on Post { id body thread { id title } }
    }
  }`;

  it('resolves 100 threads, with their first posts, in a bounded number of queries; unreadable ones are null', async () => {
    const w = await world();
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(await thread(w.member, i % 2 ? w.privateForum : w.publicForum, `t${i}`));
    const representations = ids.map((id) => ({ __typename: 'Thread', id }));

    subgraph.queries.count = 0;
    const asOutsider = await subgraph.expectData(w.outsider, ENTITIES, { representations });
    // Threads, the channels' visibility, the viewer's memberships, the posts pages, the posts' threads (cached).
    expect(subgraph.queries.count).toBeLessThanOrEqual(4);
    expect(asOutsider._entities.filter(Boolean)).toHaveLength(50);
    expect(asOutsider._entities[1]).toBeNull();
    expect(asOutsider._entities[0]).toEqual({
      id: ids[0],
      title: 't0',
      postCount: 1,
      posts: { edges: [{ node: { id: expect.any(String), body: 't0 opens', thread: { id: ids[0] } } }] },
    });

    subgraph.queries.count = 0;
    const asMember = await subgraph.expectData(w.member, ENTITIES, { representations });
    expect(subgraph.queries.count).toBeLessThanOrEqual(4);
    expect(asMember._entities.map((t: { title: string }) => t.title)).toEqual(ids.map((_, i) => `t${i}`));
  });

  it('resolves 100 posts and their threads in a bounded number of queries', async () => {
    const w = await world();
    const threads = [await thread(w.member, w.publicForum, 'open'), await thread(w.member, w.privateForum, 'closed')];
    const postIds: string[] = [];
    for (let i = 0; i < 100; i++) {
      const added = await insertReply(prisma(), { threadId: threads[i % 2], authorId: w.member.id, body: `p${i}` });
      postIds.push(added!.post.id);
    }
    subgraph.queries.count = 0;
    const data = await subgraph.expectData(w.outsider, ENTITIES, { representations: postIds.map((id) => ({ __typename: 'Post', id })) });
    // Posts, their threads, the channels' visibility, the viewer's memberships.
    expect(subgraph.queries.count).toBeLessThanOrEqual(4);
    expect(data._entities[0]).toEqual({ id: postIds[0], body: 'p0', thread: { id: threads[0], title: 'open' } });
    expect(data._entities[1]).toBeNull();
    expect(data._entities.filter(Boolean)).toHaveLength(50);
  });

  it('pages the threads of 20 channels, and their posts, in a bounded number of queries', async () => {
    const member = await createUser(prisma());
    const channels: string[] = [];
    for (let i = 0; i < 20; i++) {
      const channelId = await createChannel(prisma(), { members: [member], kind: i === 19 ? 'TEXT' : 'FORUM' });
      channels.push(channelId);
      if (i < 19) for (let j = 0; j < 3; j++) await thread(member, channelId, `c${i}t${j}`);
    }
    const query = `query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Channel {
          threads(first: 2, order: NEWEST) { edges { node { title posts(first: 1) { edges { node { body } } } } } pageInfo { hasNextPage } }
        }
      }
    }`;
    subgraph.queries.count = 0;
    const data = await subgraph.expectData(member, query, { representations: channels.map((id) => ({ __typename: 'Channel', id })) });
    // Channels' visibility, the threads pages, the posts pages.
    expect(subgraph.queries.count).toBeLessThanOrEqual(3);
    for (let i = 0; i < 19; i++) {
      expect(data._entities[i].threads.edges.map((e: any) => [e.node.title, e.node.posts.edges[0].node.body])).toEqual([
        [`c${i}t2`, `c${i}t2 opens`],
        [`c${i}t1`, `c${i}t1 opens`],
      ]);
      expect(data._entities[i].threads.pageInfo.hasNextPage).toBe(true);
    }
    expect(data._entities[19].threads.edges).toEqual([]);
  });
});

describe('insertReply', () => {
  it('stores nothing in a locked thread, even when the lock lands after the caller checked', async () => {
    const w = await world();
    const id = await thread(w.member, w.publicForum, 'to lock');
    await prisma().thread.update({ where: { id }, data: { locked: true } });
    expect(await insertReply(prisma(), { threadId: id, authorId: w.member.id, body: 'late' })).toBeNull();
    expect(await insertReply(prisma(), { threadId: randomUUID(), authorId: w.member.id, body: 'nowhere' })).toBeNull();
    expect(await prisma().post.count({ where: { threadId: id } })).toBe(1);
    expect((await prisma().thread.findUniqueOrThrow({ where: { id } })).postCount).toBe(1);
  });

  it('never moves lastActivityAt backwards when replies commit out of time order', async () => {
    const w = await world();
    const id = await thread(w.member, w.publicForum, 'clocks');
    const later = new Date(Date.now() + 60_000);
    await insertReply(prisma(), { threadId: id, authorId: w.member.id, body: 'later', at: later });
    const earlier = await insertReply(prisma(), { threadId: id, authorId: w.member.id, body: 'earlier', at: new Date(Date.now() - 1000) });
    expect(earlier!.thread.lastActivityAt).toEqual(later);
    expect(earlier!.post.seq).toBe(3);
  });
});
