import WebSocket from 'ws';
import { Frames, SOCKET_TOO_SLOW, Subscriber } from '../src/subscriptions/hub';

// The per-socket half of the fan-out: one serialized payload framed per subscription id, and
// a socket that stopped reading is closed instead of buffering without bound.
function fakeSocket(bufferedAmount = 0) {
  const sent: string[] = [];
  const closed: Array<[number, string]> = [];
  const socket = {
    readyState: WebSocket.OPEN,
    bufferedAmount,
    send: (data: Buffer, options: { binary: boolean }) => {
      expect(options).toEqual({ binary: false });
      sent.push(data.toString());
    },
    close: (code: number, reason: string) => void closed.push([code, reason]),
  };
  return { socket, sent, closed };
}

it('frames the shared payload as a graphql-ws next message for its own id', () => {
  const { socket, sent } = fakeSocket();
  const subscriber = new Subscriber({ socket: socket as unknown as WebSocket, id: 'sub "1"' }, () => {});
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
  const subscriber = new Subscriber({ socket: socket as unknown as WebSocket, id: '1' }, () => {});
  subscriber.send(new Frames('{"data":null}'), 1024);
  expect(sent).toEqual([]);
  expect(closed).toEqual([[SOCKET_TOO_SLOW, expect.stringContaining('after:')]]);
});

it('writes nothing once the subscription has ended or the socket is closing', () => {
  const open = fakeSocket();
  const ended = new Subscriber({ socket: open.socket as unknown as WebSocket, id: '1' }, () => {});
  ended.end();
  ended.send(new Frames('{"data":null}'), 1024);
  expect(open.sent).toEqual([]);

  const closing = fakeSocket();
  closing.socket.readyState = WebSocket.CLOSING;
  new Subscriber({ socket: closing.socket as unknown as WebSocket, id: '1' }, () => {}).send(new Frames('{"data":null}'), 1024);
  expect(closing.sent).toEqual([]);
});

it('hands graphql-ws only the final error, then ends', async () => {
  const { socket } = fakeSocket();
  let left = 0;
  const subscriber = new Subscriber({ socket: socket as unknown as WebSocket, id: '1' }, () => void left++);
  subscriber.end({ errors: [] });
  const seen = [];
  for await (const result of subscriber) seen.push(result);
  expect(seen).toEqual([{ errors: [] }]);
  expect(left).toBe(1);
});

it('hands a waiting graphql-ws the final error when the subscriber ends later, then ends', async () => {
  const { socket } = fakeSocket();
  let left = 0;
  const subscriber = new Subscriber({ socket: socket as unknown as WebSocket, id: '1' }, () => void left++);
  const seen: unknown[] = [];
  const iterating = (async () => {
    for await (const result of subscriber) seen.push(result);
  })();
  await new Promise((resolve) => setImmediate(resolve));
  expect(seen).toEqual([]);
  subscriber.end({ errors: [] });
  subscriber.end({ data: null });
  await iterating;
  expect(seen).toEqual([{ errors: [] }]);
  expect(left).toBe(1);
});

it('lets go of the subscriber once when graphql-ws returns it, and yields nothing more', async () => {
  const { socket, sent } = fakeSocket();
  let left = 0;
  const subscriber = new Subscriber({ socket: socket as unknown as WebSocket, id: '1' }, () => void left++);
  const pending = subscriber.next();
  await subscriber.return();
  expect(await pending).toEqual({ value: undefined, done: true });
  expect(await subscriber.next()).toEqual({ value: undefined, done: true });
  subscriber.end({ errors: [] });
  subscriber.send(new Frames('{"data":1}'), 1024);
  expect({ left, sent }).toEqual({ left: 1, sent: [] });
});

function corkable() {
  const { socket, sent } = fakeSocket();
  const raw = { corked: 0, uncorked: 0, cork() { this.corked++; }, uncork() { this.uncorked++; } };
  const subscriber = new Subscriber({ socket: Object.assign(socket, { _socket: raw }) as unknown as WebSocket, id: '1' }, () => {});
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
