import { person, startStack, type Stack } from '../testkit/stack';
import { startFaultProxy, type Fault } from '../testkit/fault-proxy';

// A gateway whose message subgraph sits behind a fault proxy, with a 1 s subgraph deadline.
let stack: Stack;
let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
let faulty: Awaited<ReturnType<Stack['startGateway']>>;
let alice: Awaited<ReturnType<typeof person>>;
let channelId: string;

beforeAll(async () => {
  stack = await startStack('failures');
  proxy = await startFaultProxy(stack.subgraphUrls.message, 300);
  faulty = await stack.startGateway({ SUBGRAPH_TIMEOUT_MS: '1000' }, { ...stack.subgraphUrls, message: proxy.url });
  alice = await person('Alice');
  channelId = (await stack.expectData(alice, `mutation { createChannel(input: { name: "sturdy", kind: TEXT }) { id } }`)).createChannel.id;
  await stack.expectData(alice, `mutation($id: ID!) { sendMessage(input: { channelId: $id, body: "hello" }) { id } }`, { id: channelId });
});
afterAll(async () => {
  await proxy.close();
  await stack.close();
});

const PAGE = `query($id: ID!) { channel(id: $id) { name memberCount messages(last: 5) { edges { node { body } } } } }`;

describe('a failing subgraph', () => {
  it.each<[Fault]>([['down'], ['frozen'], ['errors']])(
    'when %s, the gateway answers within its deadline with a generic error',
    async (fault) => {
      proxy.set(fault);
      const started = Date.now();
      const res = await faulty.client.request(alice, PAGE, { id: channelId });
      const elapsed = Date.now() - started;
      proxy.set('none');

      expect(elapsed).toBeLessThan(3000);
      expect(res.status).toBe(200);
      // `messages` is non-null, so its failure nulls the channel, GraphQL's usual way; the next
      // test shows the healthy subgraph's fields surviving when nothing non-null depends on it.
      expect(res.errors?.length).toBeGreaterThan(0);
      for (const error of res.errors!) {
        expect(error.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
        expect(error.message).toBe('Internal server error');
        expect(JSON.stringify(error)).not.toMatch(/127\.0\.0\.1|localhost|http:/);
      }
    },
  );

  it('keeps serving fields that do not touch the failing subgraph', async () => {
    proxy.set('down');
    const data = await faulty.client.expectData(alice, `query($id: ID!) { me { displayName } channel(id: $id) { name memberCount } }`, { id: channelId });
    proxy.set('none');
    expect(data).toEqual({ me: { displayName: 'Alice' }, channel: { name: 'sturdy', memberCount: 1 } });
  });

  it('answers slowly but fully when the subgraph is slow within the deadline', async () => {
    proxy.set('slow');
    const data = await faulty.client.expectData(alice, PAGE, { id: channelId });
    proxy.set('none');
    expect(data.channel.messages.edges).toEqual([{ node: { body: 'hello' } }]);
  });

  it('recovers as soon as the subgraph does', async () => {
    proxy.set('none');
    const data = await faulty.client.expectData(alice, PAGE, { id: channelId });
    expect(data.channel.name).toBe('sturdy');
  });
});
