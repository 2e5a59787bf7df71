import { randomUUID } from 'node:crypto';
import type { Viewer } from '@commons/shared';
import { codeOf, createChannel, createUser, startMessageSubgraph } from './helpers';

const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }`;

// A small limit from the configuration (SEND_RATE_*): a burst of 5, refilled within a second.
let subgraph: Awaited<ReturnType<typeof startMessageSubgraph>>;
beforeAll(async () => {
  subgraph = await startMessageSubgraph('message_rate', { SEND_RATE_BURST: '5', SEND_RATE_PER_SECOND: '5' });
});
afterAll(() => subgraph.close());

const prisma = () => subgraph.deps.prisma;
const send = (viewer: Viewer, input: Record<string, unknown>) => subgraph.request(viewer, SEND, { input });

describe('the sendMessage rate limit', () => {
  it('acknowledges exactly the burst, stores exactly what it acknowledged, and says when to retry', async () => {
    const user = await createUser(prisma());
    const channelId = await createChannel(prisma(), { members: [user] });
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => send(user, { channelId, body: `m${i}` })));

    const acknowledged = replies.filter((r) => r.data?.sendMessage);
    const limited = replies.filter((r) => codeOf(r) === 'RATE_LIMITED');
    expect(acknowledged).toHaveLength(5);
    expect(limited).toHaveLength(7);
    const stored = await prisma().message.findMany({ where: { channelId }, select: { id: true } });
    expect(stored.map((m) => m.id).sort()).toEqual(acknowledged.map((r) => r.data.sendMessage.id).sort());

    const waits = limited.map((r) => r.errors![0].extensions!.retryAfterMs as number);
    for (const wait of waits) expect(wait).toBeGreaterThan(0);
    for (const wait of waits) expect(wait).toBeLessThanOrEqual(1000);
    await new Promise((resolve) => setTimeout(resolve, Math.max(...waits) + 50));
    expect(codeOf(await send(user, { channelId, body: 'after the wait' }))).toBeUndefined();
  });

  it('limits each user on their own', async () => {
    const [greedy, patient] = [await createUser(prisma()), await createUser(prisma())];
    const channelId = await createChannel(prisma(), { members: [greedy, patient] });
    await Promise.all(Array.from({ length: 6 }, (_, i) => send(greedy, { channelId, body: `g${i}` })));
    expect(codeOf(await send(greedy, { channelId, body: 'one more' }))).toBe('RATE_LIMITED');
    expect(codeOf(await send(patient, { channelId, body: 'my turn' }))).toBeUndefined();
  });

  it('takes no token for a refused send or a retry', async () => {
    const user = await createUser(prisma());
    const open = await createChannel(prisma(), { members: [user] });
    const archived = await createChannel(prisma(), { members: [user], archived: true });
    const elsewhere = await createChannel(prisma());
    const other = await createChannel(prisma(), { members: [user] });
    const { sendMessage: first } = await subgraph.expectData(user, SEND, { input: { channelId: open, body: 'first', clientId: 'once' } });
    const { sendMessage: foreign } = await subgraph.expectData(user, SEND, { input: { channelId: other, body: 'foreign' } });
    // Eight refusals and retries, more than the burst of 5, of every kind the send checks.
    const refused = [
      [{ channelId: elsewhere, body: 'not a member' }, 'FORBIDDEN'],
      [{ channelId: archived, body: 'archived' }, 'CONFLICT'],
      [{ channelId: open, body: 'bad parent', replyToId: foreign.id }, 'BAD_USER_INPUT'],
      [{ channelId: open, body: 'no parent', replyToId: randomUUID() }, 'BAD_USER_INPUT'],
      [{ channelId: randomUUID(), body: 'no channel' }, 'NOT_FOUND'],
      [{ channelId: open, body: ' ' }, 'BAD_USER_INPUT'],
    ] as const;
    for (const [input, code] of refused) expect(codeOf(await send(user, input))).toBe(code);
    for (let i = 0; i < 2; i++) {
      expect((await subgraph.expectData(user, SEND, { input: { channelId: open, body: 'first', clientId: 'once' } })).sendMessage.id).toBe(first.id);
    }
    // The burst less the two sends above is still there.
    for (let i = 0; i < 3; i++) expect(codeOf(await send(user, { channelId: open, body: `still ${i}` }))).toBeUndefined();
    expect(await prisma().message.count({ where: { channelId: { in: [archived, elsewhere] } } })).toBe(0);
  });

  it('answers a retry of an acknowledged send even while limited', async () => {
    const user = await createUser(prisma());
    const channelId = await createChannel(prisma(), { members: [user] });
    const first = await subgraph.expectData(user, SEND, { input: { channelId, body: 'keep me', clientId: 'retry' } });
    await Promise.all(Array.from({ length: 5 }, (_, i) => send(user, { channelId, body: `fill${i}` })));
    expect(codeOf(await send(user, { channelId, body: 'new' }))).toBe('RATE_LIMITED');
    const retry = await subgraph.expectData(user, SEND, { input: { channelId, body: 'keep me', clientId: 'retry' } });
    expect(retry.sendMessage.id).toBe(first.sendMessage.id);
  });
});
