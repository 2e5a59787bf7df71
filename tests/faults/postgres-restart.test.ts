import { Client } from 'pg';
import { person, startStack, type Stack } from '../testkit/stack';

/**
 * Postgres going away under running services, as a restart or failover does to them: every
 * connection of the services is terminated by the server. The services must answer again
 * without a process restart (their pools drop dead connections and open new ones).
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('pgrestart');
});
afterAll(async () => {
  await stack.close();
});

async function terminateConnections(databaseUrl: string): Promise<number> {
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    return rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

it('serves again after every database connection was cut, without a restart', async () => {
  const alice = await person('Alice');
  const { createChannel } = await stack.expectData(alice, `mutation { createChannel(input: { name: "durable", kind: TEXT }) { id } }`);
  const PAGE = `query($id: ID!) { channel(id: $id) { name messages(last: 5) { edges { node { body } } } } }`;
  await stack.expectData(alice, `mutation($id: ID!) { sendMessage(input: { channelId: $id, body: "before" }) { id } }`, { id: createChannel.id });

  expect(await terminateConnections(stack.db.url)).toBeGreaterThan(0);

  // A request may land on a connection that died with the cut; within a few tries all succeed.
  let recoveredAfter = -1;
  for (let attempt = 0; attempt < 20 && recoveredAfter < 0; attempt++) {
    const res = await stack.request(alice, PAGE, { id: createChannel.id });
    if (!res.errors && res.data?.channel) recoveredAfter = attempt;
    else await new Promise((r) => setTimeout(r, 250));
  }
  expect(recoveredAfter).toBeGreaterThanOrEqual(0);

  await stack.expectData(alice, `mutation($id: ID!) { sendMessage(input: { channelId: $id, body: "after" }) { id } }`, { id: createChannel.id });
  const data = await stack.expectData(alice, PAGE, { id: createChannel.id });
  expect(data.channel.messages.edges.map((e: any) => e.node.body)).toEqual(['before', 'after']);
  for (const url of Object.values(stack.subgraphUrls)) {
    expect((await fetch(new URL('/ready', url))).status).toBe(200);
  }
});
