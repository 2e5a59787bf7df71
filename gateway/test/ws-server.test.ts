import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@commons/shared';
import { GraphQLError } from 'graphql';
import WebSocket from 'ws';
import type { SubscriptionHub } from '../src/subscriptions/hub';
import type { SupergraphPlanner } from '../src/subscriptions/planner';
import { createGatewayWsServer } from '../src/subscriptions/ws-server';

// The socket-level behaviour of the gateway's graphql-ws server, on a real port, without a
// supergraph: keep-alive, the per-address cap for anonymous sockets, a gateway still starting.
let http: Server;
let ws: ReturnType<typeof createGatewayWsServer>;
let url: string;
const opened: WebSocket[] = [];

beforeAll(async () => {
  http = createServer();
  ws = createGatewayWsServer({
    httpServer: http,
    planner: (): SupergraphPlanner => {
      throw new GraphQLError('The gateway is starting', { extensions: { code: 'UNAVAILABLE' } });
    },
    hub: { subscribe: () => { throw new Error('no subscriptions here'); } } as unknown as SubscriptionHub,
    // 'slow' takes a while to verify, as a JWKS fetch can.
    verifyAuthorization: async (header) => {
      if (header === 'slow') await settle(200);
      return null;
    },
    signForwardedUser: async () => 'token',
    checkOperation: () => ({ errors: [] }),
    checkCost: () => undefined,
    executeOperation: async () => ({ data: null }),
    formatError: (formatted) => formatted,
    logger: createLogger('test', 'silent'),
    maxPayload: 65_536,
    maxSocketsPerUser: 2,
    maxSubscriptionsPerUser: 2,
    keepAliveMs: 200,
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  for (const socket of opened) socket.terminate();
  await ws.close();
  await new Promise((resolve) => http.close(resolve));
});

async function connect(options: WebSocket.ClientOptions = {}, authorization?: string) {
  const socket = new WebSocket(url, 'graphql-transport-ws', options);
  opened.push(socket);
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  const messages: any[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(JSON.stringify({ type: 'connection_init', payload: authorization ? { authorization } : undefined }));
  return { socket, closed, messages };
}
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('drops a socket that stops answering pings and keeps one that answers', async () => {
  const deaf = await connect({ autoPong: false });
  const alive = await connect();
  expect(await deaf.closed).toBe(1006);
  await settle(600);
  expect(alive.socket.readyState).toBe(WebSocket.OPEN);
  expect(alive.messages).toEqual([{ type: 'connection_ack' }]);
  alive.socket.close();
  await alive.closed;
  await settle(50);
  expect(ws.stats()).toEqual({ sockets: 0, subscriptions: 0 });
});

it('pings its sockets in turns, not all at once', async () => {
  // keepAliveMs 200: two slices, one pinged every 100 ms; two new sockets take one each.
  const [a, b] = [await connect(), await connect()];
  const firstPing = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('ping', () => resolve(performance.now())));
  const [pingedA, pingedB] = await Promise.all([firstPing(a.socket), firstPing(b.socket)]);
  expect(Math.abs(pingedA - pingedB)).toBeGreaterThan(40);
  a.socket.close();
  b.socket.close();
  await Promise.all([a.closed, b.closed]);
  await settle(50);
  expect(ws.stats()).toEqual({ sockets: 0, subscriptions: 0 });
});

it('caps anonymous sockets per address, and frees the place when one closes', async () => {
  const [a, b] = [await connect(), await connect()];
  const third = await connect();
  expect(await third.closed).toBe(4429);
  expect(ws.stats().sockets).toBe(2);
  a.socket.close();
  await a.closed;
  await settle(50);
  const fourth = await connect();
  await settle(100);
  expect(fourth.messages).toEqual([{ type: 'connection_ack' }]);
  b.socket.close();
  fourth.socket.close();
  await Promise.all([b.closed, fourth.closed]);
});

it('does not count a socket that closed while its connection_init was being verified', async () => {
  const { socket, closed } = await connect({}, 'slow');
  socket.close();
  await closed;
  await settle(400);
  expect(ws.stats()).toEqual({ sockets: 0, subscriptions: 0 });
});

it('answers UNAVAILABLE while the gateway is starting, and keeps the socket', async () => {
  const { socket, messages } = await connect();
  await settle(50);
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { x }' } }));
  await settle(100);
  expect(messages).toEqual([
    { type: 'connection_ack' },
    { id: '1', type: 'error', payload: [expect.objectContaining({ message: 'The gateway is starting', extensions: { code: 'UNAVAILABLE' } })] },
  ]);
  expect(socket.readyState).toBe(WebSocket.OPEN);
  socket.close();
});

// Last: it closes the server.
it('says "going away" to every socket on close, and resolves once all of them have closed', async () => {
  const [a, b] = [await connect(), await connect()];
  await settle(50);
  expect(ws.stats().sockets).toBe(2);
  await ws.close();
  expect(ws.stats()).toEqual({ sockets: 0, subscriptions: 0 });
  expect(await a.closed).toBe(1001);
  expect(await b.closed).toBe(1001);
});
