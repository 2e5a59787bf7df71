import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import Redis from 'ioredis';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A Redis of the test's own (never the shared one) that it can crash and bring back. */
export async function startRedisServer() {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const waitUntilUp = async () => {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    try {
      for (let i = 0; i < 100; i++) {
        try {
          await probe.connect();
          await probe.ping();
          return;
        } catch {
          probe.disconnect();
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      throw new Error(`redis-server did not come up on ${port}`);
    } finally {
      probe.disconnect();
    }
  };

  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitUntilUp();
  };

  /** As a crash would: no goodbye to clients. */
  const kill = async () => {
    const dying = child;
    if (!dying || dying.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      dying.once('exit', () => resolve());
      dying.kill('SIGKILL');
    });
  };

  /** Drops every pub/sub connection, as a network blip or failover would. */
  const killPubSubClients = async () => {
    const admin = new Redis(url, { maxRetriesPerRequest: 1 });
    try {
      return Number(await admin.client('KILL', 'TYPE', 'pubsub'));
    } finally {
      admin.disconnect();
    }
  };

  await start();
  return { url, port, start, kill, killPubSubClients, stop: kill };
}
