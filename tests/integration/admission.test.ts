import { createLogger } from '@commons/shared';
import { AdmissionSockets } from '@commons/gateway/src/subscriptions/admission';
import { admissionRecorder, signForwardedUser } from '../testkit/admission';
import { waitFor } from '../testkit/builders';
import { person, startStack, type Stack } from '../testkit/stack';

// The gateway admits each subscriber of a shared stream over one admission socket per subgraph;
// when that socket drops (here: the subgraph restarts) every admission on it ends as an
// interruption, and the next admission opens a new socket.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('admission');
});
afterAll(async () => {
  await stack.closeSockets();
  await stack.close();
});

const MESSAGES = `subscription($id: ID!) { messageAdded(channelId: $id) { body } }`;
const SEND = `mutation($id: ID!, $body: String!) { sendMessage(input: { channelId: $id, body: $body }) { id } }`;

const live = (subscribers: number) =>
  waitFor(() => {
    const stats = stack.gateway.hub.stats;
    return stats.subscribers === subscribers && stats.admitting === 0;
  }, `${subscribers} admitted subscribers`, 10_000);

async function publicChannel(owner: { token: string }) {
  const { createChannel } = await stack.expectData(owner, `mutation { createChannel(input: { name: "room", kind: TEXT }) { id } }`);
  return createChannel.id as string;
}


it('ends every admission on a dropped socket as an interruption, and admits again over a new one', async () => {
  const alice = await person('Alice');
  const channelId = await publicChannel(alice);
  const viewer = { id: alice.id, name: alice.name, handle: alice.handle };
  const admissions = new AdmissionSockets(stack.subgraphUrls, () => signForwardedUser(null), createLogger('test', 'silent'));
  const operation = { query: MESSAGES, variables: { id: channelId } };
  try {
    const [first, second] = [admissionRecorder(), admissionRecorder()];
    admissions.admit('message', operation, await signForwardedUser(viewer), first.listener);
    admissions.admit('message', operation, await signForwardedUser(viewer), second.listener);
    await waitFor(() => first.outcomes.length === 1 && second.outcomes.length === 1, 'both admissions');
    expect([first.outcomes, second.outcomes]).toEqual([['admitted'], ['admitted']]);

    await stack.restartSubgraph('message');
    await waitFor(() => first.outcomes.length === 2 && second.outcomes.length === 2, 'both admissions to end');
    expect(first.outcomes[1]).toBeInstanceOf(Error);
    expect(second.outcomes[1]).toBeInstanceOf(Error);
    expect(admissions.size).toBe(0);

    const again = admissionRecorder();
    admissions.admit('message', operation, await signForwardedUser(viewer), again.listener);
    await waitFor(() => again.outcomes.length === 1, 'the admission over a new socket');
    expect(again.outcomes).toEqual(['admitted']);
  } finally {
    await admissions.close();
  }
});

it('tells the subscribers of a shared stream UNAVAILABLE when the subgraph restarts, and serves them again once they resubscribe', async () => {
  const [alice, bob] = await Promise.all([person('Alice'), person('Bob')]);
  const channelId = await publicChannel(alice);
  const base = stack.gateway.hub.stats.subscribers;
  const subs = [alice, bob].map((who) => stack.subscribe(stack.connect(who), MESSAGES, { id: channelId }));
  await live(base + 2);

  await stack.restartSubgraph('message');
  for (const sub of subs) {
    await sub.end();
    expect(sub.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
  }
  await waitFor(() => stack.gateway.hub.stats.subscribers === base, 'the interrupted subscribers to leave');

  const again = [alice, bob].map((who) => stack.subscribe(stack.connect(who), MESSAGES, { id: channelId }));
  await live(base + 2);
  await new Promise((r) => setTimeout(r, 300)); // the upstream subscription is live once the subgraph subscribed, which the gateway is not told
  await stack.expectData(alice, SEND, { id: channelId, body: 'back' });
  for (const sub of again) expect((await sub.next(1))[0]).toEqual({ data: { messageAdded: { body: 'back' } } });
  for (const sub of again) sub.unsubscribe();
});
