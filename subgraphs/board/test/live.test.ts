import { topics, type Viewer } from '@commons/shared';
import type { Client } from 'graphql-ws';
import { createChannel, createUser, createWsClient, startBoardSubgraph, subscribeAs, waitFor } from './helpers';

const CREATE = `mutation ($input: CreateThreadInput!) { createThread(input: $input) { id } }`;
const REPLY = `mutation ($id: ID!, $body: String!) { replyToThread(threadId: $id, body: $body) { id body } }`;
const POST_ADDED = `subscription ($id: ID!) { postAdded(threadId: $id) { id body createdAt thread { id postCount } author { id } } }`;
const ACTIVITY = `subscription ($id: ID!) { threadActivity(channelId: $id) { id postCount lastActivityAt } }`;

let subgraph: Awaited<ReturnType<typeof startBoardSubgraph>>;
let client: Client;
beforeAll(async () => {
  subgraph = await startBoardSubgraph('board_live');
  client = createWsClient(subgraph.url);
});
afterAll(async () => {
  await client.dispose();
  await subgraph.close();
});

const prisma = () => subgraph.deps.prisma;
const openOn = (topic: string) => subgraph.open.get(topic) ?? 0;

async function forumThread() {
  const user: Viewer = await createUser(prisma());
  const channelId = await createChannel(prisma(), { members: [user] });
  const threadId = (await subgraph.expectData(user, CREATE, { input: { channelId, title: 'live', body: 'first' } })).createThread.id;
  return { user, channelId, threadId };
}

describe('board subscriptions', () => {
  it('postAdded resolves each event from the stored post, and reads its thread fresh', async () => {
    const { user, threadId } = await forumThread();
    const sub = await subscribeAs(client, user, POST_ADDED, { id: threadId });
    await waitFor(() => openOn(topics.postAdded(threadId)) === 1, 'the subscriber');
    const one = (await subgraph.expectData(user, REPLY, { id: threadId, body: 'one' })).replyToThread;
    const two = (await subgraph.expectData(user, REPLY, { id: threadId, body: 'two' })).replyToThread;
    const events = await sub.next(2);
    expect(events.map((e) => e.data?.postAdded)).toEqual([
      { id: one.id, body: 'one', createdAt: expect.any(String), thread: { id: threadId, postCount: 2 }, author: { id: user.id } },
      // The second event reads the thread again: the first event's cached row is not reused.
      { id: two.id, body: 'two', createdAt: expect.any(String), thread: { id: threadId, postCount: 3 }, author: { id: user.id } },
    ]);
    sub.unsubscribe();
    await waitFor(() => openOn(topics.postAdded(threadId)) === 0, 'the broker subscription to be released');
  });

  it('threadActivity releases its broker subscription when the client leaves', async () => {
    const { user, channelId, threadId } = await forumThread();
    const sub = await subscribeAs(client, user, ACTIVITY, { id: channelId });
    await waitFor(() => openOn(topics.threadActivity(channelId)) === 1, 'the subscriber');
    await subgraph.expectData(user, REPLY, { id: threadId, body: 'bump' });
    const [event] = await sub.next(1);
    expect(event.data?.threadActivity).toMatchObject({ id: threadId, postCount: 2 });
    sub.unsubscribe();
    await waitFor(() => openOn(topics.threadActivity(channelId)) === 0, 'the broker subscription to be released');
  });

  it('refuses a private channel\'s streams to an outsider with NOT_FOUND, and opens nothing', async () => {
    const owner = await createUser(prisma());
    const outsider = await createUser(prisma());
    const channelId = await createChannel(prisma(), { visibility: 'PRIVATE', members: [owner] });
    const threadId = (await subgraph.expectData(owner, CREATE, { input: { channelId, title: 'secret', body: 'hush' } })).createThread.id;
    for (const [query, id] of [[ACTIVITY, channelId], [POST_ADDED, threadId]]) {
      const sub = await subscribeAs(client, outsider, query, { id });
      const [event] = await sub.next(1);
      expect(event.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
    expect(openOn(topics.threadActivity(channelId))).toBe(0);
    expect(openOn(topics.postAdded(threadId))).toBe(0);
  });
});
