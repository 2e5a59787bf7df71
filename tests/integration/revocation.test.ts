import { person, startStack, type Stack } from '../testkit/stack';

// A member removed from a private channel stops receiving its live events at once: each
// channel stream re-checks access when the channel's membership changes.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('revocation');
});
afterAll(async () => {
  await stack.closeSockets();
  await stack.close();
});

async function privateChannelWithMember(kind: string) {
  const owner = await person('Owner');
  const member = await person('Member');
  const { createChannel } = await stack.expectData(owner, `mutation($k: ChannelKind!) { createChannel(input: { name: "secret", kind: $k, visibility: PRIVATE }) { id } }`, { k: kind });
  await stack.expectData(member, `{ me { id } }`);
  await stack.expectData(owner, `mutation($c: ID!, $u: ID!) { inviteMember(channelId: $c, userId: $u) { role } }`, { c: createChannel.id, u: member.id });
  return { owner, member, channelId: createChannel.id as string };
}

const remove = (owner: { token: string }, channelId: string, userId: string) =>
  stack.expectData(owner, `mutation($c: ID!, $u: ID!) { removeMember(channelId: $c, userId: $u) }`, { c: channelId, u: userId });

it.each([
  [
    'messageAdded',
    'TEXT',
    `subscription($id: ID!) { messageAdded(channelId: $id) { body } }`,
    `mutation($id: ID!, $n: String!) { sendMessage(input: { channelId: $id, body: $n }) { id } }`,
  ],
  [
    'threadActivity',
    'FORUM',
    `subscription($id: ID!) { threadActivity(channelId: $id) { title } }`,
    `mutation($id: ID!, $n: String!) { createThread(input: { channelId: $id, title: $n, body: "b" }) { id } }`,
  ],
])('%s ends for a member removed from a private channel', async (_name, kind, subscription, write) => {
  const { owner, member, channelId } = await privateChannelWithMember(kind);
  const sub = stack.subscribe(stack.connect(member), subscription, { id: channelId });
  await new Promise((r) => setTimeout(r, 400));
  await stack.expectData(owner, write, { id: channelId, n: 'while a member' });
  await sub.next(1);

  await remove(owner, channelId, member.id);
  await new Promise((r) => setTimeout(r, 300));
  await stack.expectData(owner, write, { id: channelId, n: 'after removal' });
  await sub.end();
  const seen = sub.results.flatMap((r) => (r.data ? [JSON.stringify(r.data)] : []));
  expect(seen).toHaveLength(1);
  expect(seen[0]).toContain('while a member');
  expect(sub.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
});
