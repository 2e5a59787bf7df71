// The gateway's own heap per live subscriber (the S3 target), with and without an admission:
// the gateway alone in this process; the subgraphs and the clients (20 sockets, opened and kept
// before measuring, so that only subscriptions are counted) in a child process.
// `node --expose-gc --import tsx bench/subscriber-memory-gateway.ts` (N=2000 by default). Needs
// the test Postgres and Redis. A measurement aid, not part of `npm run bench`; see also
// subscriber-memory.ts (everything in one process).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { composeSupergraph } from '@commons/gateway/src/compose';
import { createGateway } from '@commons/gateway/src/server';
import { createLogger, createMetrics, loadConfig, type SubgraphServer } from '@commons/shared';
import { SUBGRAPH_FACTORIES } from '../subgraphs';
import { gatewayClient, person, TEST_JWT_SECRET } from '../tests/testkit/stack';
import { createTestDeps, TEST_GATEWAY_SECRET } from '../tests/testkit/subgraph';

const N = Number(process.env.N ?? 2000);
const SOCKETS = 20;
const env = { NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, GATEWAY_SECRET: TEST_GATEWAY_SECRET, LOG_LEVEL: 'silent', MAX_SUBSCRIPTIONS_PER_USER: '100000', MAX_SOCKETS_PER_USER: '1000' };
const QUERIES = {
  'shared+admission': `subscription($id: ID!) { messageAdded(channelId: $id) { id body author { displayName } } }`,
  'per-viewer (no admission)': `subscription($id: ID!) { messageAdded(channelId: $id) { id body author { displayName } channel { viewerMembership { role } } } }`,
};

type Command = { type: 'gateway'; url: string } | { type: 'heap' } | { type: 'subscribe'; query: string } | { type: 'unsubscribe' } | { type: 'stop' };

const gc = () => {
  (global as any).gc();
  (global as any).gc();
};

/** The child: every subgraph, and the clients, on command from the gateway's process. */
async function peer() {
  const { deps, close } = await createTestDeps('s3gw');
  const config = loadConfig(env);
  const subgraphs: SubgraphServer[] = [];
  const urls: Record<string, string> = {};
  for (const [name, create] of Object.entries(SUBGRAPH_FACTORIES)) {
    const subgraph = create(deps, { gatewaySecret: TEST_GATEWAY_SECRET, production: false, config });
    subgraphs.push(subgraph);
    urls[name] = await subgraph.listen(0, '127.0.0.1');
  }
  process.send!({ urls });
  let client: ReturnType<typeof gatewayClient>;
  let owner: Awaited<ReturnType<typeof person>>;
  let channelId: string;
  let sockets: ReturnType<typeof client.connect>[] = [];
  let subs: Array<{ unsubscribe(): void }> = [];
  process.on('message', async (command: Command) => {
    switch (command.type) {
      case 'gateway': {
        client = gatewayClient(command.url);
        owner = await person('Owner');
        ({ id: channelId } = (await client.expectData(owner, `mutation { createChannel(input: { name: "idle", kind: TEXT }) { id } }`)).createChannel);
        sockets = Array.from({ length: SOCKETS }, () => client.connect(owner, { lazy: false }));
        // A query round trip on each socket: all of them are open and acknowledged before measuring.
        await Promise.all(sockets.map((s) => new Promise((resolve, reject) => s.subscribe({ query: '{ me { id } }' }, { next: () => {}, error: reject, complete: () => resolve(undefined) }))));
        return process.send!({ ready: true });
      }
      case 'heap':
        gc();
        return process.send!({ heap: process.memoryUsage().heapUsed });
      case 'subscribe':
        subs = Array.from({ length: N }, (_, i) => client.subscribe(sockets[i % SOCKETS], command.query, { id: channelId }));
        return process.send!({ subscribed: true });
      case 'unsubscribe':
        subs.forEach((s) => s.unsubscribe());
        return process.send!({ unsubscribed: true });
      case 'stop':
        await client.closeSockets();
        for (const s of subgraphs) await s.close();
        await close();
        process.exit(0);
    }
  });
}

async function main() {
  const child = fork(__filename, ['--peer'], { execArgv: ['--expose-gc', '--import', 'tsx'] });
  const ask = async (command: Command) => {
    const answer = once(child, 'message');
    child.send(command);
    return (await answer)[0];
  };
  const [{ urls }] = (await once(child, 'message')) as [{ urls: Record<string, string> }];
  const gateway = createGateway({
    config: loadConfig(env),
    logger: createLogger('gateway', 'silent'),
    subgraphUrls: urls,
    supergraph: composeSupergraph(),
    metrics: createMetrics(),
  });
  await ask({ type: 'gateway', url: await gateway.listen(0, '127.0.0.1') });
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
  for (const [label, query] of Object.entries(QUERIES)) {
    await settle(1000);
    gc();
    const before = process.memoryUsage().heapUsed;
    const peerBefore = (await ask({ type: 'heap' })).heap;
    await ask({ type: 'subscribe', query });
    const deadline = Date.now() + 30_000;
    while ((gateway.hub.stats.subscribers < N || gateway.hub.stats.admitting > 0) && Date.now() < deadline) await settle(200);
    await settle(1000);
    gc();
    const after = process.memoryUsage().heapUsed;
    const peerAfter = (await ask({ type: 'heap' })).heap;
    const perSubscription = (bytes: number) => (bytes / 1024 / N).toFixed(2);
    console.log(
      label,
      JSON.stringify(gateway.hub.stats),
      `${perSubscription(after - before)} KB gateway heap per subscription;`,
      `${perSubscription(peerAfter - peerBefore)} KB in the other process (subgraphs and graphql-ws clients)`,
    );
    await ask({ type: 'unsubscribe' });
    while (gateway.hub.stats.subscribers > 0) await settle(200);
  }
  child.send({ type: 'stop' });
  await once(child, 'exit');
  await gateway.close();
  process.exit(0);
}

if (process.argv[2] === '--peer') void peer();
else void main();
