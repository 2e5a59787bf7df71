import { Heartbeat } from '../src/subscriptions/ws-server';

// The gateway pings its sockets in turns: each once per interval, never all in one turn of the
// event loop, and never one that has left.
type Item = { name: string; heartbeatSlice?: number; pings: number[]; ping(): void };
let beats = 0;
const item = (name: string): Item => ({
  name,
  pings: [],
  ping() {
    this.pings.push(beats);
  },
});

let heartbeat: Heartbeat<Item>;
beforeEach(() => {
  jest.useFakeTimers();
  beats = 0;
  // 12 slices of 100 ms.
  heartbeat = new Heartbeat<Item>(1_200, 100);
});
afterEach(() => {
  heartbeat.stop();
  jest.useRealTimers();
});

/** Advances one slice at a time; how many items each beat pinged. */
function beat(times: number, items: Item[]): number[] {
  const perBeat: number[] = [];
  for (let i = 0; i < times; i++) {
    beats++;
    jest.advanceTimersByTime(100);
    perBeat.push(items.filter((x) => x.pings.at(-1) === beats).length);
  }
  return perBeat;
}

it('pings every item once per interval, a twelfth of them at a time', () => {
  const items = Array.from({ length: 120 }, (_, i) => item(`s${i}`));
  items.forEach((x) => heartbeat.add(x));
  expect(beat(12, items)).toEqual(Array(12).fill(10));
  expect(items.every((x) => x.pings.length === 1)).toBe(true);
  beat(12, items);
  // The second ping of each comes exactly one interval (12 beats) after its first.
  expect(items.every((x) => x.pings.length === 2 && x.pings[1] - x.pings[0] === 12)).toBe(true);
});

it('never pings an item that has left, and fills the emptied slices first', () => {
  const first = Array.from({ length: 24 }, (_, i) => item(`a${i}`));
  first.forEach((x) => heartbeat.add(x));
  // Two items per slice; empty six slices by taking both of theirs.
  const leaving = first.filter((x) => x.heartbeatSlice! < 6);
  expect(leaving).toHaveLength(12);
  leaving.forEach((x) => expect(heartbeat.delete(x)).toBe(true));
  expect(heartbeat.delete(leaving[0])).toBe(false);
  const later = Array.from({ length: 12 }, (_, i) => item(`b${i}`));
  later.forEach((x) => heartbeat.add(x));
  expect(new Set(later.map((x) => x.heartbeatSlice))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
  const present = [...first.filter((x) => !leaving.includes(x)), ...later];
  expect(beat(12, present)).toEqual(Array(12).fill(2));
  expect(leaving.every((x) => x.pings.length === 0)).toBe(true);
  expect(heartbeat.size).toBe(24);
  expect(new Set(heartbeat)).toEqual(new Set(present));
});

it('adds an item once however often it is added', () => {
  const x = item('x');
  heartbeat.add(x);
  heartbeat.add(x);
  expect(heartbeat.size).toBe(1);
  beat(12, [x]);
  expect(x.pings).toHaveLength(1);
});
