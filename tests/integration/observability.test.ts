import { waitFor } from '../testkit/builders';
import { person, startStack, type Stack } from '../testkit/stack';
import { startFaultProxy } from '../testkit/fault-proxy';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('observability');
});
afterAll(async () => {
  await stack.closeSockets();
  await stack.close();
});

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
};
const at = (graphqlUrl: string, path: string) => new URL(path, graphqlUrl).toString();

it('answers /health and /ready on the gateway and every subgraph', async () => {
  for (const url of [stack.url, ...Object.values(stack.subgraphUrls)]) {
    expect((await get(at(url, '/health'))).status).toBe(200);
    const ready = await get(at(url, '/ready'));
    expect(ready.status).toBe(200);
  }
  const ready = JSON.parse((await get(at(stack.url, '/ready'))).text);
  expect(Object.values(ready.subgraphs).every((s) => s === 'ok')).toBe(true);
});

it('reports the gateway not ready while a subgraph is unreachable', async () => {
  const proxy = await startFaultProxy(stack.subgraphUrls.channel);
  const gateway = await stack.startGateway({}, { ...stack.subgraphUrls, channel: proxy.url });
  proxy.set('down');
  const ready = await get(at(gateway.url, '/ready'));
  expect(ready.status).toBe(503);
  expect(JSON.parse(ready.text).subgraphs.channel).toBe('down');
  await proxy.close();
});

it('exports Prometheus metrics: operations by name, subgraph fetches, sockets and subscriptions', async () => {
  const alice = await person('Alice');
  const { createChannel } = await stack.expectData(alice, `mutation CreateForMetrics { createChannel(input: { name: "metrics", kind: TEXT }) { id } }`);
  await stack.expectData(alice, `query PageForMetrics($id: ID!) { channel(id: $id) { name messages(last: 5) { edges { cursor } } } }`, { id: createChannel.id });
  const sub = stack.subscribe(stack.connect(alice), `subscription($id: ID!) { messageAdded(channelId: $id) { id } }`, { id: createChannel.id });
  await waitFor(() => stack.gateway.hub.stats.subscribers === 1 && stack.gateway.hub.stats.admitting === 0, 'the subscriber to be live');

  const gateway = (await get(at(stack.url, '/metrics'))).text;
  expect(gateway).toMatch(/graphql_operations_total\{service="gateway",operation="PageForMetrics",type="query",outcome="ok"\} 1/);
  expect(gateway).toMatch(/gateway_subgraph_fetch_duration_seconds_count\{subgraph="message",outcome="ok"\} [1-9]/);
  expect(gateway).toMatch(/gateway_open_sockets 1/);
  expect(gateway).toMatch(/gateway_active_subscriptions 1/);
  expect(gateway).toMatch(/gateway_subscription_pipelines 1/);
  expect(gateway).toMatch(/gateway_subscription_admissions 1/);

  // The gateway names each subgraph fetch after the client's operation.
  const channel = (await get(at(stack.subgraphUrls.channel, '/metrics'))).text;
  expect(channel).toMatch(/graphql_operations_total\{service="channel",operation="CreateForMetrics__channel__\d+",type="mutation",outcome="ok"\} 1/);
  sub.unsubscribe();
});
