import { randomUUID } from 'node:crypto';
import { LIVE_ADMISSION_EXTENSION, topics, type Viewer } from '@commons/shared';
import type { Client } from 'graphql-ws';
import { toMessageEvent } from '../src/domain/messageRow';
import { insertMessage } from '../src/domain/sendMessage';
import { createChannel, createUser, createWsClient, MESSAGE_FIELDS, startMessageSubgraph, subscribe, waitFor } from './helpers';
import { forwardedUserExtensions } from '../../../tests/testkit/builders';

const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { ${MESSAGE_FIELDS} } }`;
const MESSAGE_ADDED = `subscription ($channelId: ID!, $after: String) { messageAdded(channelId: $channelId, after: $after) { ${MESSAGE_FIELDS} } }`;

let subgraph: Awaited<ReturnType<typeof startMessageSubgraph>>;
let client: Client;
beforeAll(async () => {
  subgraph = await startMessageSubgraph('message_live');
  client = createWsClient(subgraph.url);
});
afterAll(async () => {
  await client.dispose();
  await subgraph.close();
});

const prisma = () => subgraph.deps.prisma;
const send = async (viewer: Viewer, channelId: string, body: string) =>
  (await subgraph.expectData(viewer, SEND, { input: { channelId, body } })).sendMessage;
const listening = (channelId: string, count = 1) =>
  waitFor(() => (subgraph.observed.subscribed.get(topics.messageAdded(channelId)) ?? 0) >= count, 'the subscriber');
const bodiesOf = (events: Array<{ data?: any }>) => events.map((e) => e.data?.messageAdded.body);
const codeOf = (sub: { events: Array<{ errors?: readonly any[] }>; error: unknown }) =>
  sub.events[0]?.errors?.[0]?.extensions?.code ?? (sub.error as any[] | undefined)?.[0]?.extensions?.code;

async function memberChannel(visibility: 'PUBLIC' | 'PRIVATE' = 'PUBLIC') {
  const user = await createUser(prisma());
  const channelId = await createChannel(prisma(), { visibility, members: [user] });
  return { user, channelId };
}

describe('messageAdded', () => {
  it('delivers a new message live, with every field', async () => {
    const { user, channelId } = await memberChannel();
    const reader = await createUser(prisma());
    const sub = await subscribe(client, reader, MESSAGE_ADDED, { channelId });
    await listening(channelId);
    const sent = await send(user, channelId, 'live!');
    const [event] = await sub.nextEvents(1);
    expect(event).toEqual({ data: { messageAdded: sent } });
    expect(event.data?.messageAdded).toMatchObject({ body: 'live!', author: { id: user.id }, channel: { id: channelId } });
    sub.unsubscribe();
  });

  it('replays after a cursor, then goes live, with no gap and no duplicate', async () => {
    const { user, channelId } = await memberChannel();
    const before = [];
    for (const body of ['m1', 'm2', 'm3', 'm4', 'm5']) before.push(await send(user, channelId, body));

    const sub = await subscribe(client, user, MESSAGE_ADDED, { channelId, after: before[2].cursor });
    await listening(channelId);
    await sub.nextEvents(2);
    // A late duplicate of a replayed message must not be delivered again.
    const m4 = await prisma().message.findUniqueOrThrow({ where: { id: before[3].id } });
    await subgraph.deps.pubsub.publish(topics.messageAdded(channelId), toMessageEvent(m4));
    for (const body of ['m6', 'm7', 'm8']) await send(user, channelId, body);

    const events = await sub.nextEvents(5);
    expect(bodiesOf(events)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8']);
    expect(events[0].data?.messageAdded).toEqual(before[3]);
    // One more live message: still exactly one event each.
    await send(user, channelId, 'm9');
    expect(bodiesOf(await sub.nextEvents(6))).toEqual(['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    sub.unsubscribe();
  });

  it('fills a gap from the database when a later event arrives first', async () => {
    const { user, channelId } = await memberChannel();
    const sub = await subscribe(client, user, MESSAGE_ADDED, { channelId });
    await listening(channelId);
    // Stored, but its event is still on its way (another replica, slower to publish).
    await insertMessage(prisma(), { channelId, authorId: user.id, body: 'slow' });
    await send(user, channelId, 'fast');
    expect(bodiesOf(await sub.nextEvents(2))).toEqual(['slow', 'fast']);
    sub.unsubscribe();
  });

  it('gives a non-member of a private channel NOT_FOUND and no event', async () => {
    const { user, channelId } = await memberChannel('PRIVATE');
    const outsider = await createUser(prisma());
    const sub = await subscribe(client, outsider, MESSAGE_ADDED, { channelId });
    await waitFor(() => sub.completed || sub.error !== undefined, 'the subscription to end');
    expect(codeOf(sub)).toBe('NOT_FOUND');
    await send(user, channelId, 'secret');
    expect(sub.events.some((e) => e.data)).toBe(false);
    expect(subgraph.observed.subscribed.get(topics.messageAdded(channelId))).toBeUndefined();
  });

  it('answers UNAUTHENTICATED without a viewer, and BAD_USER_INPUT for a bad cursor', async () => {
    const { user, channelId } = await memberChannel();
    const anonymous = await subscribe(client, null, MESSAGE_ADDED, { channelId });
    const badCursor = await subscribe(client, user, MESSAGE_ADDED, { channelId, after: 'garbage' });
    const missing = await subscribe(client, user, MESSAGE_ADDED, { channelId: randomUUID() });
    for (const sub of [anonymous, badCursor, missing]) {
      await waitFor(() => sub.completed || sub.error !== undefined, 'the subscription to end');
    }
    expect([codeOf(anonymous), codeOf(badCursor), codeOf(missing)]).toEqual(['UNAUTHENTICATED', 'BAD_USER_INPUT', 'NOT_FOUND']);
  });

  it('releases its pub/sub subscription when the client unsubscribes', async () => {
    const { user, channelId } = await memberChannel();
    const topic = topics.messageAdded(channelId);
    const sub = await subscribe(client, user, MESSAGE_ADDED, { channelId });
    await listening(channelId);
    expect(subgraph.observed.open.get(topic)).toBe(1);
    // The stream is idle, waiting for an event that never comes: unsubscribing must still end it.
    sub.unsubscribe();
    await waitFor(() => subgraph.observed.open.get(topic) === 0, 'the pub/sub queue to close');
  });

  it('refuses an operation that does not parse or validate with an error, and serves the socket on', async () => {
    const { user, channelId } = await memberChannel();
    const broken = await subscribe(client, user, 'subscription { messageAdded(', {});
    const invalid = await subscribe(client, user, 'subscription { noSuchField }', {});
    for (const sub of [broken, invalid]) await waitFor(() => sub.completed || sub.error !== undefined, 'the refusal');
    expect((broken.error as any[])?.[0]).toMatchObject({ message: expect.stringMatching(/Syntax Error/), extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    expect((invalid.error as any[])?.[0]).toMatchObject({ message: expect.stringMatching(/noSuchField/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    const working = await subscribe(client, user, MESSAGE_ADDED, { channelId });
    await listening(channelId);
    await send(user, channelId, 'still here');
    await working.nextEvents(1);
    expect(bodiesOf(working.events)).toEqual(['still here']);
    working.unsubscribe();
  });
});

describe('admission (the gateway asking whether a caller may follow a shared stream)', () => {
  const admit = async (viewer: Viewer, channelId: string) => {
    const results: Array<{ data?: unknown; errors?: any[]; extensions?: any }> = [];
    let error: any;
    let completed = false;
    const stop = client.subscribe(
      { query: MESSAGE_ADDED, variables: { channelId }, extensions: { ...(await forwardedUserExtensions(viewer)), [LIVE_ADMISSION_EXTENSION]: true } },
      { next: (r) => void results.push(r as never), error: (e) => void (error = e), complete: () => void (completed = true) },
    );
    return { results, stop, get error() { return error; }, get completed() { return completed; } };
  };

  it('admits a member, sends no events, and ends NOT_FOUND once they are removed', async () => {
    const { user, channelId } = await memberChannel('PRIVATE');
    const admission = await admit(user, channelId);
    await waitFor(() => admission.results.length === 1, 'the admission');
    expect(admission.results[0]).toEqual({ data: null, extensions: { admitted: true } });
    await send(user, channelId, 'not for the admission');
    await new Promise((r) => setTimeout(r, 200));
    expect(admission.results).toHaveLength(1);
    expect(subgraph.observed.subscribed.get(topics.messageAdded(channelId))).toBeUndefined();

    await prisma().membership.delete({ where: { channelId_userId: { channelId, userId: user.id } } });
    await subgraph.deps.pubsub.publish(topics.membershipChanged(channelId), { channelId, userId: user.id, change: 'LEFT' });
    await waitFor(() => admission.error !== undefined, 'the admission to end');
    expect(admission.error?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses a non-member of a private channel as the subscription would', async () => {
    const { channelId } = await memberChannel('PRIVATE');
    const outsider = await createUser(prisma());
    const admission = await admit(outsider, channelId);
    await waitFor(() => admission.completed || admission.error !== undefined, 'the refusal');
    expect(admission.results.some((r) => r.extensions?.admitted)).toBe(false);
    expect(admission.results[0]?.errors?.[0]?.extensions?.code ?? admission.error?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
