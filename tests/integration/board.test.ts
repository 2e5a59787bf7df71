import Redis from 'ioredis';
import { topics } from '@commons/shared';
import { TEST_REDIS_URL } from '../testkit/database';
import { person, startStack, type Stack } from '../testkit/stack';

type Who = Awaited<ReturnType<typeof person>>;

let stack: Stack;
let redis: Redis;
beforeAll(async () => {
  stack = await startStack('board');
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await stack.closeSockets();
  await stack.close();
  await redis.quit();
});

const THREAD_FIELDS = 'id title tags pinned locked createdAt lastActivityAt postCount author { id displayName } channel { id name }';
const POST_FIELDS = 'id body createdAt editedAt deletedAt author { id displayName } thread { id }';

const CREATE_CHANNEL = `mutation($input: CreateChannelInput!) { createChannel(input: $input) { id name } }`;
const JOIN = `mutation($id: ID!) { joinChannel(channelId: $id) { role } }`;
const CREATE_THREAD = `mutation($input: CreateThreadInput!) { createThread(input: $input) { ${THREAD_FIELDS} posts(first: 5) { edges { node { ${POST_FIELDS} } } } } }`;
const REPLY = `mutation($id: ID!, $body: String!) { replyToThread(threadId: $id, body: $body) { ${POST_FIELDS} } }`;
const EDIT = `mutation($id: ID!, $body: String!) { editPost(id: $id, body: $body) { ${POST_FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deletePost(id: $id) { ${POST_FIELDS} } }`;
const SET_STATE = `mutation($id: ID!, $pinned: Boolean, $locked: Boolean) { setThreadState(id: $id, pinned: $pinned, locked: $locked) { ${THREAD_FIELDS} } }`;
const THREAD = `query($id: ID!) { thread(id: $id) { ${THREAD_FIELDS} } }`;
const POSTS = `query($id: ID!, $first: Int, $after: String) {
  thread(id: $id) { postCount posts(first: $first, after: $after) {
    edges { cursor node { ${POST_FIELDS} } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`;
const THREADS = `query($id: ID!, $first: Int, $after: String, $order: ThreadOrder, $tag: String) {
  channel(id: $id) { threads(first: $first, after: $after, order: $order, tag: $tag) {
    edges { cursor node { id title tags pinned createdAt lastActivityAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`;

const unique = () => Math.random().toString(36).slice(2, 8);

async function channelOf(owner: Who, overrides: Record<string, unknown> = {}) {
  const data = await stack.expectData(owner, CREATE_CHANNEL, { input: { name: `forum-${unique()}`, kind: 'FORUM', ...overrides } });
  return data.createChannel as { id: string; name: string };
}

async function join(who: Who, channelId: string) {
  await stack.expectData(who, JOIN, { id: channelId });
}

async function setRole(owner: Who, channelId: string, who: Who, role: string) {
  await stack.expectData(owner, `mutation($c: ID!, $u: ID!, $r: MemberRole!) { setMemberRole(channelId: $c, userId: $u, role: $r) { role } }`, { c: channelId, u: who.id, r: role });
}

async function createThread(who: Who, channelId: string, input: Record<string, unknown> = {}) {
  const data = await stack.expectData(who, CREATE_THREAD, { input: { channelId, title: `thread ${unique()}`, body: 'opening post', ...input } });
  return data.createThread;
}

async function reply(who: Who, threadId: string, body = `reply ${unique()}`) {
  return (await stack.expectData(who, REPLY, { id: threadId, body })).replyToThread;
}

async function readThread(who: Who, id: string) {
  return (await stack.expectData(who, THREAD, { id })).thread;
}

/** Every post of a thread, walked `size` at a time; fails on a gap, a duplicate or bad pageInfo. */
async function allPosts(who: Who, threadId: string, size = 10) {
  const seen: any[] = [];
  let after: string | null = null;
  for (;;) {
    const data: any = await stack.expectData(who, POSTS, { id: threadId, first: size, after });
    const conn = data.thread.posts;
    expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
    seen.push(...conn.edges.map((e: any) => e.node));
    if (!conn.pageInfo.hasNextPage) break;
    after = conn.pageInfo.endCursor;
  }
  return seen;
}

/** Every thread of a channel in `order`, walked `size` at a time. */
async function allThreads(who: Who, channelId: string, vars: { order?: string; tag?: string } = {}, size = 4) {
  const seen: any[] = [];
  let after: string | null = null;
  for (;;) {
    const data: any = await stack.expectData(who, THREADS, { id: channelId, first: size, after, ...vars });
    const conn = data.channel.threads;
    expect(conn.edges.length).toBeLessThanOrEqual(size);
    seen.push(...conn.edges.map((e: any) => e.node));
    if (!conn.pageInfo.hasNextPage) break;
    expect(conn.edges).toHaveLength(size);
    after = conn.pageInfo.endCursor;
  }
  return seen;
}

/** Waits until the board subgraph listens on `topic` in Redis (so an event published now is delivered). */
async function listening(topic: string) {
  // The stack's pub/sub prefixes every topic with the test file's own prefix.
  const prefix = (stack.deps.pubsub as unknown as { options: { prefix: string } }).options.prefix;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [, count] = (await redis.pubsub('NUMSUB', prefix + topic)) as [string, number];
    if (Number(count) > 0) return;
    if (Date.now() > deadline) throw new Error(`nobody listens on ${topic}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const codes = (res: { errors?: Array<{ extensions?: Record<string, any> }> }) => res.errors?.map((e) => e.extensions?.code);

describe('createThread', () => {
  it('makes the thread and its opening post, trimmed and normalised, with fields from every subgraph', async () => {
    const alice = await person('Alice');
    const channel = await channelOf(alice);
    const thread = await createThread(alice, channel.id, { title: '  First thread  ', body: '\n  Hello, board!  \n', tags: ['Help', ' help ', 'Rust-Lang'] });
    expect(thread).toMatchObject({
      title: 'First thread',
      tags: ['help', 'rust-lang'],
      pinned: false,
      locked: false,
      postCount: 1,
      author: { id: alice.id, displayName: 'Alice' },
      channel: { id: channel.id, name: channel.name },
    });
    expect(thread.lastActivityAt).toBe(thread.createdAt);
    expect(thread.posts.edges).toHaveLength(1);
    expect(thread.posts.edges[0].node).toMatchObject({
      body: 'Hello, board!',
      author: { displayName: 'Alice' },
      thread: { id: thread.id },
      editedAt: null,
      deletedAt: null,
      createdAt: thread.createdAt,
    });

    // Anyone signed in reads a PUBLIC channel's threads.
    const bob = await person('Bob');
    expect(await readThread(bob, thread.id)).toMatchObject({ id: thread.id, title: 'First thread' });
  });

  it('accepts the limits exactly: a 200-character title, a 20000-character body, 5 tags of 24', async () => {
    const alice = await person('Alice');
    const channel = await channelOf(alice);
    const tags = Array.from({ length: 5 }, (_, i) => `${i}`.padEnd(24, 'x'));
    const thread = await createThread(alice, channel.id, { title: ` ${'t'.repeat(200)} `, body: `${'b'.repeat(20000)}   `, tags });
    expect(thread.title).toHaveLength(200);
    expect(thread.tags).toEqual(tags);
    expect(thread.posts.edges[0].node.body).toHaveLength(20000);
    // Characters, not UTF-16 units: 200 emoji are 200 characters.
    const emoji = await createThread(alice, channel.id, { title: '🧵'.repeat(200) });
    expect([...emoji.title]).toHaveLength(200);
  });

  it('refuses bad input with BAD_USER_INPUT and stores nothing', async () => {
    const alice = await person('Alice');
    const channel = await channelOf(alice);
    const bad: Array<Record<string, unknown>> = [
      { title: '' },
      { title: '   \n ' },
      { title: 't'.repeat(201) },
      { body: '' },
      { body: ' \t ' },
      { body: 'b'.repeat(20001) },
      { tags: ['a', 'b', 'c', 'd', 'e', 'f'] },
      { tags: ['x'.repeat(25)] },
      { tags: [''] },
      { tags: ['  '] },
      { tags: ['two words'] },
      { tags: ['a,b'] },
    ];
    for (const input of bad) {
      const res = await stack.expectError(alice, CREATE_THREAD, { input: { channelId: channel.id, title: 'ok', body: 'ok', ...input } }, 'BAD_USER_INPUT');
      expect(res.data ?? null).toBeNull();
    }
    const listed = await stack.expectData(alice, THREADS, { id: channel.id });
    expect(listed.channel.threads.edges).toEqual([]);
  });

  it('works only in FORUM channels', async () => {
    const alice = await person('Alice');
    for (const kind of ['TEXT', 'VOICE']) {
      const channel = await channelOf(alice, { kind });
      await stack.expectError(alice, CREATE_THREAD, { input: { channelId: channel.id, title: 't', body: 'b' } }, 'BAD_USER_INPUT');
      // Channel.threads is empty there, not an error.
      const listed = await stack.expectData(alice, THREADS, { id: channel.id });
      expect(listed.channel.threads).toEqual({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
    }
  });

  it('is for members only: FORBIDDEN for a non-member, NOT_FOUND for a private channel, CONFLICT when archived', async () => {
    const owner = await person('Owner');
    const stranger = await person('Stranger');
    const open = await channelOf(owner);
    const input = (channelId: string) => ({ input: { channelId, title: 't', body: 'b' } });
    await stack.expectError(stranger, CREATE_THREAD, input(open.id), 'FORBIDDEN');
    await stack.expectError(null, CREATE_THREAD, input(open.id), 'UNAUTHENTICATED');
    await stack.expectError(owner, CREATE_THREAD, input('00000000-0000-4000-8000-000000000000'), 'NOT_FOUND');
    await stack.expectError(owner, CREATE_THREAD, input('not-an-id'), 'NOT_FOUND');

    const secret = await channelOf(owner, { visibility: 'PRIVATE' });
    await stack.expectError(stranger, CREATE_THREAD, input(secret.id), 'NOT_FOUND');

    await join(stranger, open.id);
    await createThread(stranger, open.id);
    await stack.expectData(owner, `mutation($id: ID!) { archiveChannel(id: $id) { id } }`, { id: open.id });
    await stack.expectError(stranger, CREATE_THREAD, input(open.id), 'CONFLICT');
    // Archived channels keep their history readable.
    expect((await stack.expectData(owner, THREADS, { id: open.id })).channel.threads.edges).toHaveLength(1);
  });
});

describe('replies', () => {
  it('adds posts for members, bumping postCount and lastActivityAt; outsiders cannot', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const carol = await person('Carol');
    const channel = await channelOf(alice);
    const thread = await createThread(alice, channel.id);
    await join(bob, channel.id);

    const post = await reply(bob, thread.id, '  me too  ');
    expect(post).toMatchObject({ body: 'me too', author: { id: bob.id, displayName: 'Bob' }, thread: { id: thread.id }, deletedAt: null });
    const after = await readThread(carol, thread.id);
    expect(after.postCount).toBe(2);
    expect(after.lastActivityAt).toBe(post.createdAt);
    expect(Date.parse(after.lastActivityAt)).toBeGreaterThanOrEqual(Date.parse(thread.lastActivityAt));

    await stack.expectError(carol, REPLY, { id: thread.id, body: 'let me in' }, 'FORBIDDEN');
    await stack.expectError(bob, REPLY, { id: thread.id, body: '   ' }, 'BAD_USER_INPUT');
    await stack.expectError(bob, REPLY, { id: thread.id, body: 'x'.repeat(20001) }, 'BAD_USER_INPUT');
    await stack.expectError(bob, REPLY, { id: '00000000-0000-4000-8000-000000000000', body: 'hello?' }, 'NOT_FOUND');
    await stack.expectError(bob, REPLY, { id: 'nope', body: 'hello?' }, 'NOT_FOUND');
    expect((await readThread(carol, thread.id)).postCount).toBe(2);
  });

  it('refuses replies to a locked thread with CONFLICT, until it is unlocked', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const channel = await channelOf(alice);
    await join(bob, channel.id);
    const thread = await createThread(bob, channel.id);
    expect((await stack.expectData(alice, SET_STATE, { id: thread.id, locked: true })).setThreadState).toMatchObject({ locked: true, pinned: false });
    await stack.expectError(bob, REPLY, { id: thread.id, body: 'one more thing' }, 'CONFLICT');
    await stack.expectError(alice, REPLY, { id: thread.id, body: 'even the owner' }, 'CONFLICT');
    expect((await readThread(bob, thread.id)).postCount).toBe(1);
    await stack.expectData(alice, SET_STATE, { id: thread.id, locked: false });
    await reply(bob, thread.id, 'unlocked');
    expect((await readThread(bob, thread.id)).postCount).toBe(2);
  });

  it('keeps postCount and lastActivityAt exact under 50 concurrent replies', async () => {
    const alice = await person('Alice');
    const repliers = await Promise.all(Array.from({ length: 5 }, (_, i) => person(`Replier${i}`)));
    const channel = await channelOf(alice);
    for (const r of repliers) await join(r, channel.id);
    const thread = await createThread(alice, channel.id);

    const posts = await Promise.all(Array.from({ length: 50 }, (_, i) => reply(repliers[i % 5], thread.id, `concurrent ${i}`)));
    expect(new Set(posts.map((p) => p.id)).size).toBe(50);

    const now = await readThread(alice, thread.id);
    expect(now.postCount).toBe(51);
    const all = await allPosts(alice, thread.id, 7);
    expect(all).toHaveLength(51);
    expect(new Set(all.map((p) => p.id)).size).toBe(51);
    expect(all[0].body).toBe('opening post');
    expect(all.slice(1).map((p) => p.body).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `concurrent ${i}`).sort());
    // lastActivityAt is the newest post's time.
    expect(now.lastActivityAt).toBe(new Date(Math.max(...all.map((p) => Date.parse(p.createdAt)))).toISOString());
  });
});

describe('editPost and deletePost', () => {
  it('lets only the author edit, and keeps the edit time', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const channel = await channelOf(alice);
    await join(bob, channel.id);
    const thread = await createThread(alice, channel.id);
    const post = await reply(bob, thread.id, 'typo');

    const edited = (await stack.expectData(bob, EDIT, { id: post.id, body: '  fixed  ' })).editPost;
    expect(edited).toMatchObject({ id: post.id, body: 'fixed', deletedAt: null, createdAt: post.createdAt });
    expect(edited.editedAt).not.toBeNull();
    // Not the channel owner, not another member.
    await stack.expectError(alice, EDIT, { id: post.id, body: 'owner rewrite' }, 'FORBIDDEN');
    await stack.expectError(bob, EDIT, { id: post.id, body: '' }, 'BAD_USER_INPUT');
    await stack.expectError(bob, EDIT, { id: post.id, body: 'x'.repeat(20001) }, 'BAD_USER_INPUT');
    await stack.expectError(bob, EDIT, { id: '00000000-0000-4000-8000-000000000000', body: 'x' }, 'NOT_FOUND');
    // Edits do not count as activity.
    expect((await readThread(alice, thread.id)).lastActivityAt).toBe(post.createdAt);
    const [, stored] = await allPosts(alice, thread.id);
    expect(stored.body).toBe('fixed');
  });

  it('lets the author or an OWNER/ADMIN delete, softly: the post keeps its place with its body cleared', async () => {
    const owner = await person('Owner');
    const admin = await person('Admin');
    const author = await person('Author');
    const other = await person('Other');
    const channel = await channelOf(owner);
    for (const who of [admin, author, other]) await join(who, channel.id);
    await setRole(owner, channel.id, admin, 'ADMIN');
    const thread = await createThread(author, channel.id);
    const [p1, p2, p3] = [await reply(author, thread.id, 'one'), await reply(author, thread.id, 'two'), await reply(other, thread.id, 'three')];

    await stack.expectError(other, DELETE, { id: p1.id }, 'FORBIDDEN');
    const byAuthor = (await stack.expectData(author, DELETE, { id: p1.id })).deletePost;
    expect(byAuthor).toMatchObject({ id: p1.id, body: '', author: { id: author.id } });
    expect(byAuthor.deletedAt).not.toBeNull();
    // Deleting again changes nothing.
    expect((await stack.expectData(author, DELETE, { id: p1.id })).deletePost).toEqual(byAuthor);
    expect((await stack.expectData(admin, DELETE, { id: p2.id })).deletePost.body).toBe('');
    expect((await stack.expectData(owner, DELETE, { id: p3.id })).deletePost.body).toBe('');
    // A deleted post cannot be edited back.
    await stack.expectError(author, EDIT, { id: p1.id, body: 'undo' }, 'CONFLICT');

    const posts = await allPosts(other, thread.id);
    expect(posts.map((p) => [p.id, p.body, p.deletedAt !== null])).toEqual([
      [expect.any(String), 'opening post', false],
      [p1.id, '', true],
      [p2.id, '', true],
      [p3.id, '', true],
    ]);
    // postCount counts every post added, deleted ones included: they keep their place.
    expect((await readThread(other, thread.id)).postCount).toBe(4);
  });
});

describe('locked threads, archived channels and former members', () => {
  it('freeze replies and edits (CONFLICT), but deletes still work', async () => {
    const owner = await person('Owner');
    const author = await person('Author');
    const channel = await channelOf(owner);
    await join(author, channel.id);
    const thread = await createThread(author, channel.id);
    const [a, b, c] = [await reply(author, thread.id, 'a'), await reply(author, thread.id, 'b'), await reply(author, thread.id, 'c')];

    await stack.expectData(owner, SET_STATE, { id: thread.id, locked: true });
    await stack.expectError(author, EDIT, { id: a.id, body: 'edited' }, 'CONFLICT');
    expect((await stack.expectData(author, DELETE, { id: a.id })).deletePost.body).toBe('');
    await stack.expectData(owner, SET_STATE, { id: thread.id, locked: false });

    await stack.expectData(owner, `mutation($id: ID!) { archiveChannel(id: $id) { id } }`, { id: channel.id });
    await stack.expectError(author, REPLY, { id: thread.id, body: 'late' }, 'CONFLICT');
    await stack.expectError(author, EDIT, { id: b.id, body: 'edited' }, 'CONFLICT');
    await stack.expectError(owner, SET_STATE, { id: thread.id, pinned: true }, 'CONFLICT');
    expect((await stack.expectData(author, DELETE, { id: b.id })).deletePost.body).toBe('');

    // An author who left is no longer a member: no edits, no deletes.
    await stack.expectData(author, `mutation($id: ID!) { leaveChannel(channelId: $id) }`, { id: channel.id });
    await stack.expectError(author, DELETE, { id: c.id }, 'FORBIDDEN');
    const posts = await allPosts(owner, thread.id);
    expect(posts.map((p) => p.body)).toEqual(['opening post', '', '', 'c']);
  });
});

describe('setThreadState', () => {
  it('is for OWNER and ADMIN only', async () => {
    const owner = await person('Owner');
    const admin = await person('Admin');
    const member = await person('Member');
    const stranger = await person('Stranger');
    const channel = await channelOf(owner);
    for (const who of [admin, member]) await join(who, channel.id);
    await setRole(owner, channel.id, admin, 'ADMIN');
    const thread = await createThread(member, channel.id);

    await stack.expectError(member, SET_STATE, { id: thread.id, pinned: true }, 'FORBIDDEN');
    await stack.expectError(stranger, SET_STATE, { id: thread.id, pinned: true }, 'FORBIDDEN');
    await stack.expectError(admin, SET_STATE, { id: '00000000-0000-4000-8000-000000000000', pinned: true }, 'NOT_FOUND');
    expect((await stack.expectData(admin, SET_STATE, { id: thread.id, pinned: true })).setThreadState).toMatchObject({ pinned: true, locked: false });
    // An argument left out stays as it is.
    expect((await stack.expectData(owner, SET_STATE, { id: thread.id, locked: true })).setThreadState).toMatchObject({ pinned: true, locked: true });
    expect((await stack.expectData(owner, SET_STATE, { id: thread.id })).setThreadState).toMatchObject({ pinned: true, locked: true });
    expect((await stack.expectData(admin, SET_STATE, { id: thread.id, pinned: false, locked: false })).setThreadState).toMatchObject({ pinned: false, locked: false });
  });
});

describe('reading', () => {
  it('thread(id) is null when missing, malformed or not readable; Channel.threads needs a readable channel', async () => {
    const owner = await person('Owner');
    const stranger = await person('Stranger');
    const secret = await channelOf(owner, { visibility: 'PRIVATE' });
    const thread = await createThread(owner, secret.id);
    expect(await readThread(owner, thread.id)).toMatchObject({ id: thread.id });
    expect(await readThread(stranger, thread.id)).toBeNull();
    expect(await readThread(owner, '00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await readThread(owner, 'not-an-id')).toBeNull();
    await stack.expectError(null, THREAD, { id: thread.id }, 'UNAUTHENTICATED');
    expect((await stack.expectData(stranger, THREADS, { id: secret.id })).channel).toBeNull();
    await stack.expectError(stranger, REPLY, { id: thread.id, body: 'hi' }, 'NOT_FOUND');
    await stack.expectError(stranger, SET_STATE, { id: thread.id, pinned: true }, 'NOT_FOUND');

    // Invited, they can read and reply.
    await stack.expectData(owner, `mutation($c: ID!, $u: ID!) { inviteMember(channelId: $c, userId: $u) { role } }`, { c: secret.id, u: stranger.id });
    expect(await readThread(stranger, thread.id)).toMatchObject({ id: thread.id });
    await reply(stranger, thread.id, 'thanks for the invite');
  });

  it('reaches threads and posts from a list of channels, with authors from the channel subgraph', async () => {
    const alice = await person('Lister');
    const channels = [await channelOf(alice), await channelOf(alice), await channelOf(alice, { kind: 'TEXT' })];
    for (const [i, channel] of channels.slice(0, 2).entries()) {
      const thread = await createThread(alice, channel.id, { title: `t${i}` });
      await reply(alice, thread.id, `r${i}`);
    }
    // A query this deep is over the default cost limit (MAX_COST): a gateway that allows it.
    const { client } = await stack.startGateway({ MAX_COST: '1000000' });
    const data = await client.expectData(
      alice,
      `{ channels(first: 5, joined: true) { edges { node { id
          threads(first: 5) { edges { node { title postCount author { displayName }
            posts(first: 5) { edges { node { body author { displayName } } } } } } } } } } }`,
    );
    const byId = new Map(data.channels.edges.map((e: any) => [e.node.id, e.node]));
    expect((byId.get(channels[2].id) as any).threads.edges).toEqual([]);
    for (const [i, channel] of channels.slice(0, 2).entries()) {
      const [edge] = (byId.get(channel.id) as any).threads.edges;
      expect(edge.node).toMatchObject({ title: `t${i}`, postCount: 2, author: { displayName: 'Lister' } });
      expect(edge.node.posts.edges.map((e: any) => [e.node.body, e.node.author.displayName])).toEqual([
        ['opening post', 'Lister'],
        [`r${i}`, 'Lister'],
      ]);
    }
  });
});

describe('pagination', () => {
  let alice: Who;
  let channelId: string;
  const COUNT = 23;

  beforeAll(async () => {
    alice = await person('Paginator');
    channelId = (await channelOf(alice)).id;
    // Created in bursts, so many share a millisecond and only the id breaks the tie.
    const threads: any[] = [];
    for (let i = 0; i < COUNT; i += 6) {
      const burst = Array.from({ length: Math.min(6, COUNT - i) }, (_, j) =>
        createThread(alice, channelId, { title: `t${i + j}`, tags: (i + j) % 3 === 0 ? ['even-three', 'x'] : ['other'] }),
      );
      threads.push(...(await Promise.all(burst)));
    }
    // Activity in old threads reorders LATEST_ACTIVITY but not NEWEST; three threads pinned.
    for (const i of [0, 4, 9, 13]) await reply(alice, threads[i].id);
    for (const i of [2, 9, 20]) await stack.expectData(alice, SET_STATE, { id: threads[i].id, pinned: true });
  });

  // What the order must be, computed here from each thread's own fields.
  const expected = (nodes: any[], key: 'createdAt' | 'lastActivityAt') =>
    [...nodes].sort(
      (a, b) =>
        Number(b.pinned) - Number(a.pinned) ||
        Date.parse(b[key]) - Date.parse(a[key]) ||
        (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
    );

  it.each([
    ['LATEST_ACTIVITY', 'lastActivityAt'],
    ['NEWEST', 'createdAt'],
  ] as const)('walks every thread in %s order, pinned first, with no gap or duplicate', async (order, key) => {
    for (const size of [1, 4, 7]) {
      const walked = await allThreads(alice, channelId, { order }, size);
      expect(walked).toHaveLength(COUNT);
      expect(new Set(walked.map((t) => t.id)).size).toBe(COUNT);
      expect(walked.map((t) => t.id)).toEqual(expected(walked, key).map((t) => t.id));
      expect(walked.slice(0, 3).every((t) => t.pinned)).toBe(true);
      // One page of all of them agrees with the walk.
      const whole = await stack.expectData(alice, THREADS, { id: channelId, first: 100, order });
      expect(whole.channel.threads.edges.map((e: any) => e.node.id)).toEqual(walked.map((t) => t.id));
    }
  });

  it('orders differently by activity and by creation', async () => {
    const latest = (await allThreads(alice, channelId, { order: 'LATEST_ACTIVITY' })).map((t) => t.title);
    const newest = (await allThreads(alice, channelId, { order: 'NEWEST' })).map((t) => t.title);
    expect(latest).not.toEqual(newest);
    // Without an order, LATEST_ACTIVITY.
    const dflt = (await allThreads(alice, channelId)).map((t) => t.title);
    expect(dflt).toEqual(latest);
  });

  it.each(['LATEST_ACTIVITY', 'NEWEST'])('filters by tag (matched lowercase) in %s order, with no gap or duplicate', async (order) => {
    const tagged = await allThreads(alice, channelId, { order, tag: 'Even-Three' }, 2);
    const want = Array.from({ length: COUNT }, (_, i) => i).filter((i) => i % 3 === 0).map((i) => `t${i}`);
    expect(tagged.map((t) => t.title).sort()).toEqual(want.sort());
    expect(tagged.every((t) => t.tags.includes('even-three'))).toBe(true);
    const all = await allThreads(alice, channelId, { order }, 100);
    expect(tagged.map((t) => t.id)).toEqual(all.filter((t) => t.tags.includes('even-three')).map((t) => t.id));
    expect(await allThreads(alice, channelId, { order, tag: 'nobody-uses-this' })).toEqual([]);
  });

  it('rejects oversized pages, bad tags and foreign cursors with BAD_USER_INPUT', async () => {
    const page = await stack.expectData(alice, THREADS, { id: channelId, first: 2, order: 'NEWEST' });
    const newestCursor = page.channel.threads.pageInfo.endCursor;
    const postsPage = await stack.expectData(alice, POSTS, { id: page.channel.threads.edges[0].node.id, first: 1 });
    const postCursor = postsPage.thread.posts.pageInfo.endCursor;
    const bad: Array<Record<string, unknown>> = [
      { first: 101 },
      { first: -1 },
      { first: 2, after: 'garbage' },
      { first: 2, after: newestCursor, order: 'LATEST_ACTIVITY' },
      { first: 2, after: postCursor },
      { tag: '' },
      { tag: 'y'.repeat(25) },
    ];
    for (const vars of bad) await stack.expectError(alice, THREADS, { id: channelId, ...vars }, 'BAD_USER_INPUT');
    await stack.expectError(alice, POSTS, { id: page.channel.threads.edges[0].node.id, first: 101 }, 'BAD_USER_INPUT');
    await stack.expectError(alice, POSTS, { id: page.channel.threads.edges[0].node.id, after: newestCursor }, 'BAD_USER_INPUT');
  });

  it('walks a thread\'s posts from the opening post, with no gap or duplicate', async () => {
    const thread = await createThread(alice, channelId, { body: 'first!' });
    for (let i = 0; i < 24; i++) await reply(alice, thread.id, `p${i}`);
    for (const size of [1, 5, 25, 100]) {
      const posts = await allPosts(alice, thread.id, size);
      expect(posts.map((p) => p.body)).toEqual(['first!', ...Array.from({ length: 24 }, (_, i) => `p${i}`)]);
    }
  });
});

describe('subscriptions through the gateway', () => {
  const ACTIVITY = `subscription($id: ID!) { threadActivity(channelId: $id) { id title postCount lastActivityAt author { displayName } channel { name } } }`;
  const POST_ADDED = `subscription($id: ID!) { postAdded(threadId: $id) { id body author { displayName handle } thread { id title channel { name } } } }`;

  it('threadActivity delivers new threads and new posts, with fields from other subgraphs', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const channel = await channelOf(alice);
    await join(bob, channel.id);
    const other = await channelOf(alice);

    const sub = stack.subscribe(stack.connect(bob), ACTIVITY, { id: channel.id });
    await listening(topics.threadActivity(channel.id));
    const thread = await createThread(alice, channel.id, { title: 'live thread' });
    await createThread(alice, other.id, { title: 'elsewhere' });
    const post = await reply(bob, thread.id, 'live reply');

    const events = await sub.next(2);
    expect(events.map((e) => e.errors)).toEqual([undefined, undefined]);
    expect(events.map((e) => e.data!.threadActivity)).toEqual([
      { id: thread.id, title: 'live thread', postCount: 1, lastActivityAt: thread.createdAt, author: { displayName: 'Alice' }, channel: { name: channel.name } },
      { id: thread.id, title: 'live thread', postCount: 2, lastActivityAt: post.createdAt, author: { displayName: 'Alice' }, channel: { name: channel.name } },
    ]);
    await new Promise((r) => setTimeout(r, 200));
    expect(sub.results).toHaveLength(2);
    sub.unsubscribe();
  });

  it('postAdded delivers each reply to that thread, once, with author and channel resolved', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const channel = await channelOf(alice);
    await join(bob, channel.id);
    const thread = await createThread(alice, channel.id, { title: 'watched' });
    const elsewhere = await createThread(alice, channel.id, { title: 'not watched' });

    const sub = stack.subscribe(stack.connect(alice), POST_ADDED, { id: thread.id });
    await listening(topics.postAdded(thread.id));
    const sent = [];
    for (let i = 0; i < 3; i++) sent.push(await reply(i % 2 ? alice : bob, thread.id, `reply ${i}`));
    await reply(bob, elsewhere.id, 'not for this subscription');
    await Promise.all(Array.from({ length: 5 }, (_, i) => reply(bob, thread.id, `burst ${i}`)));

    const events = await sub.next(8);
    expect(events.slice(0, 3).map((e) => e.data!.postAdded)).toEqual(
      sent.map((p, i) => ({
        id: p.id,
        body: `reply ${i}`,
        author: { displayName: i % 2 ? 'Alice' : 'Bob', handle: expect.any(String) },
        thread: { id: thread.id, title: 'watched', channel: { name: channel.name } },
      })),
    );
    expect(events.slice(3).map((e) => e.data!.postAdded.body).sort()).toEqual(Array.from({ length: 5 }, (_, i) => `burst ${i}`));
    await new Promise((r) => setTimeout(r, 200));
    expect(sub.results).toHaveLength(8);
    sub.unsubscribe();
  });

  it('answers NOT_FOUND at subscribe time for a channel or thread the caller cannot read, and sends nothing', async () => {
    const owner = await person('Owner');
    const stranger = await person('Stranger');
    const secret = await channelOf(owner, { visibility: 'PRIVATE' });
    const thread = await createThread(owner, secret.id);

    for (const [query, id] of [
      [ACTIVITY, secret.id],
      [POST_ADDED, thread.id],
      [POST_ADDED, '00000000-0000-4000-8000-000000000000'],
      [ACTIVITY, '00000000-0000-4000-8000-000000000000'],
    ]) {
      const sub = stack.subscribe(stack.connect(stranger), query, { id });
      await sub.end();
      expect(sub.results).toHaveLength(1);
      expect(sub.results[0].data ?? null).toBeNull();
      expect(codes(sub.results[0])).toEqual(['NOT_FOUND']);
    }
    await reply(owner, thread.id, 'still secret');
  });
});
