import WebSocket from 'ws';
import { Frames, SOCKET_TOO_SLOW, Subscriber } from '../src/subscriptions/hub';

// The per-socket half of the fan-out: one serialized payload framed per subscription id, and
// a socket that stopped reading is closed instead of buffering without bound.
function fakeSocket(bufferedAmount = 0) {
  const sent: string[] = [];
  const closed: Array<[number, string]> = [];
  const socket = {
    readyState: WebSocket.OPEN as number,
    bufferedAmount,
    send: (data: Buffer, options: { binary: boolean }) => {
      expect(options).toEqual({ binary: false });
      sent.push(data.toString());
    },
    close: (code: number, reason: string) => void closed.push([code, reason]),
  };
  return { socket, sent, closed };
}

const socketSide = (socket: unknown) => ({ socket: socket as WebSocket, subscriptionEnded: () => {} });
const noPipeline = { remove: () => {} };

it('frames the shared payload as a graphql-ws next message for its own id', () => {
  const { socket, sent } = fakeSocket();
  const subscriber = new Subscriber(socketSide(socket), 'sub "1"', noPipeline);
  subscriber.send(new Frames(JSON.stringify({ data: { messageAdded: { body: 'hi' } } })), 1024);
  expect(sent).toHaveLength(1);
  expect(JSON.parse(sent[0])).toEqual({ id: 'sub "1"', type: 'next', payload: { data: { messageAdded: { body: 'hi' } } } });
});

it('encodes an event once per subscription id, whatever the number of sockets', () => {
  const frames = new Frames('{"data":{"n":"é"}}');
  expect(frames.for('1')).toBe(frames.for('1'));
  expect(frames.for('2')).not.toBe(frames.for('1'));
  expect(JSON.parse(frames.for('2').toString('utf8'))).toEqual({ id: '2', type: 'next', payload: { data: { n: 'é' } } });
});

it('closes a socket whose backlog passed the bound, so the client reconnects and catches up', () => {
  const { socket, sent, closed } = fakeSocket(2048);
  const subscriber = new Subscriber(socketSide(socket), '1', noPipeline);
  subscriber.send(new Frames('{"data":null}'), 1024);
  expect(sent).toEqual([]);
  expect(closed).toEqual([[SOCKET_TOO_SLOW, expect.stringContaining('after:')]]);
});

it('writes nothing once the subscription has ended or the socket is closing', () => {
  const open = fakeSocket();
  const ended = new Subscriber(socketSide(open.socket), '1', noPipeline);
  ended.end();
  ended.send(new Frames('{"data":null}'), 1024);
  expect(open.sent).toEqual([]);

  const closing = fakeSocket();
  closing.socket.readyState = WebSocket.CLOSING;
  new Subscriber(socketSide(closing.socket), '1', noPipeline).send(new Frames('{"data":null}'), 1024);
  expect(closing.sent).toEqual([]);
});

function owned(socket: unknown) {
  const ended: Array<[string, unknown]> = [];
  let removed = 0;
  const owner = { socket: socket as WebSocket, subscriptionEnded: (id: string, last?: unknown) => void ended.push([id, last]) };
  const subscriber = new Subscriber(owner, '7', { remove: () => void removed++ });
  return { subscriber, ended, removed: () => removed };
}

it('tells its socket once when the hub ends it, with the last result, and leaves the stream', () => {
  const { socket, sent } = fakeSocket();
  const { subscriber, ended, removed } = owned(socket);
  subscriber.end({ errors: [] });
  subscriber.end({ data: null });
  subscriber.leave();
  subscriber.send(new Frames('{"data":1}'), 1024);
  expect({ ended, removed: removed(), closed: subscriber.closed, sent }).toEqual({ ended: [['7', { errors: [] }]], removed: 1, closed: true, sent: [] });
});

it('leaves the stream without telling its socket when the client completed it', () => {
  const { socket, sent } = fakeSocket();
  const { subscriber, ended, removed } = owned(socket);
  subscriber.leave();
  subscriber.end({ errors: [] });
  subscriber.send(new Frames('{"data":1}'), 1024);
  expect({ ended, removed: removed(), sent }).toEqual({ ended: [], removed: 1, sent: [] });
});

function corkable() {
  const { socket, sent } = fakeSocket();
  const raw = { corked: 0, uncorked: 0, cork() { this.corked++; }, uncork() { this.uncorked++; } };
  const subscriber = new Subscriber(socketSide(Object.assign(socket, { _socket: raw })), '1', noPipeline);
  return { subscriber, raw, sent };
}
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

it('corks a socket for the rest of the turn, so frames delivered together leave in one write', async () => {
  const { subscriber, raw, sent } = corkable();
  subscriber.send(new Frames('{"data":1}'), 1024);
  subscriber.send(new Frames('{"data":2}'), 1024);
  expect(sent).toHaveLength(2);
  expect(raw).toMatchObject({ corked: 1, uncorked: 0 });
  await nextTurn();
  expect(raw).toMatchObject({ corked: 1, uncorked: 1 });
});
