import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ADMISSION_PATH, AdmissionCloseCode, createLogger, FORWARDED_USER_HEADER, type GatewayAdmissionMessage } from '@commons/shared';
import WebSocket, { WebSocketServer } from 'ws';
import { AdmissionSockets } from '../src/subscriptions/admission';
import { admissionRecorder } from '../../tests/testkit/admission';
import { waitFor } from '../../tests/testkit/builders';

// The gateway's end of the admission protocol against a scripted subgraph on a real socket.
let server: WebSocketServer;
let url: string;
let sockets: WebSocket[] = [];
let received: GatewayAdmissionMessage[] = [];
let upgrades: Array<{ path?: string; token?: string }> = [];
let refuse = false;
beforeAll(async () => {
  server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    verifyClient: ({ req }, done) => {
      upgrades.push({ path: req.url, token: req.headers[FORWARDED_USER_HEADER] as string | undefined });
      done(!refuse, 401);
    },
  });
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  server.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('message', (data) => void received.push(JSON.parse(String(data))));
  });
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

let admissions: AdmissionSockets;
beforeEach(() => {
  sockets = [];
  received = [];
  upgrades = [];
  refuse = false;
  admissions = new AdmissionSockets({ message: url }, async () => 'gateway-token', createLogger('test', 'silent'));
});
afterEach(() => admissions.close());

const reply = (message: object | string) => sockets[0].send(typeof message === 'string' ? message : JSON.stringify(message));
const operation = { query: 'subscription { messageAdded(channelId: "c") { id } }', variables: {} };

it('opens one socket on demand with the gateway token, sends each stream once, and forgets it with its last admission', async () => {
  const [a, b] = [admissionRecorder(), admissionRecorder()];
  const first = admissions.admit('message', operation, 'alice', a.listener);
  const second = admissions.admit('message', operation, 'bob', b.listener);
  await waitFor(() => received.length === 3, 'the op and both admits');
  expect(upgrades).toEqual([{ path: ADMISSION_PATH, token: 'gateway-token' }]);
  expect(received).toEqual([
    { type: 'op', op: 1, query: operation.query, variables: {} },
    { type: 'admit', id: first, op: 1, user: 'alice' },
    { type: 'admit', id: second, op: 1, user: 'bob' },
  ]);

  reply({ type: 'admitted', id: first });
  reply({ type: 'ended', id: second, errors: [{ message: 'Channel not found', extensions: { code: 'NOT_FOUND' } }] });
  reply({ type: 'ended', id: 999 });
  await waitFor(() => a.outcomes.length === 1 && b.outcomes.length === 1, 'both answers');
  expect(a.outcomes).toEqual(['admitted']);
  expect(b.outcomes).toEqual([[{ message: 'Channel not found', extensions: { code: 'NOT_FOUND' } }]]);

  admissions.leave('message', first);
  admissions.leave('message', second); // ended already: nothing to send
  await waitFor(() => received.length === 5, 'the leave and the forget');
  expect(received.slice(3)).toEqual([
    { type: 'leave', id: first },
    { type: 'forget', op: 1 },
  ]);
  expect(sockets).toHaveLength(1);
});

it('ends every admission as an interruption when the subgraph sends what is not the protocol, and reconnects for the next', async () => {
  const [a, b] = [admissionRecorder(), admissionRecorder()];
  admissions.admit('message', operation, 'alice', a.listener);
  admissions.admit('message', operation, 'bob', b.listener);
  await waitFor(() => received.length === 3, 'the admits');
  const closed = once(sockets[0], 'close');
  reply('{"type":"admitted"');
  const [code] = await closed;
  expect(code).toBe(AdmissionCloseCode.BadMessage);
  await waitFor(() => a.outcomes.length === 1 && b.outcomes.length === 1, 'both admissions to end');
  expect(a.outcomes[0]).toBeInstanceOf(Error);
  expect(b.outcomes[0]).toBeInstanceOf(Error);

  const c = admissionRecorder();
  const id = admissions.admit('message', operation, 'carol', c.listener);
  await waitFor(() => sockets.length === 2 && received.length === 5, 'a new socket with the op sent again');
  expect(received.slice(3)).toEqual([
    { type: 'op', op: 1, query: operation.query, variables: {} },
    { type: 'admit', id, op: 1, user: 'carol' },
  ]);
});

it('ends admissions as an interruption when the subgraph refuses the socket', async () => {
  refuse = true;
  const a = admissionRecorder();
  admissions.admit('message', operation, 'alice', a.listener);
  await waitFor(() => a.outcomes.length === 1, 'the admission to end');
  expect(a.outcomes[0]).toBeInstanceOf(Error);
  expect(admissions.size).toBe(0);
});
