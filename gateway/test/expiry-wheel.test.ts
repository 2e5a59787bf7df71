import { ExpiryWheel } from '../src/subscriptions/ws-server';

// The token-expiry deadlines of every socket on one timer: never early, at most a second late,
// and nothing expires after it was removed.
type Item = { name: string; expirySecond?: number };
function wheel() {
  const expired: string[] = [];
  const w = new ExpiryWheel<Item>((item) => void expired.push(item.name), start);
  return { w, expired };
}
const wheels: ExpiryWheel<Item>[] = [];
afterEach(() => wheels.forEach((w) => w.stop()));
/** The wheels' clock starts here; every test sweeps with explicit times. */
const start = Math.floor(Date.now() / 1000) * 1000 + 100_000;

it('expires an item once its moment has passed, not before', () => {
  const { w, expired } = wheel();
  wheels.push(w);
  const a: Item = { name: 'a' };
  w.add(a, start + 5_500);
  w.sweep(start + 5_499);
  w.sweep(start + 5_999);
  expect(expired).toEqual([]);
  w.sweep(start + 6_000);
  w.sweep(start + 9_000);
  expect(expired).toEqual(['a']);
  expect(a.expirySecond).toBeUndefined();
});

it('catches up on seconds a busy loop skipped, in order', () => {
  const { w, expired } = wheel();
  wheels.push(w);
  w.add({ name: 'late' }, start + 9_000);
  w.add({ name: 'early' }, start + 3_000);
  w.add({ name: 'also early' }, start + 3_000);
  w.sweep(start + 20_000);
  expect(expired).toEqual(['early', 'also early', 'late']);
});

it('forgets removed items, and an item re-added keeps only its new deadline', () => {
  const { w, expired } = wheel();
  wheels.push(w);
  const gone = { name: 'gone' };
  const moved = { name: 'moved' };
  w.add(gone, start + 3_000);
  w.add(moved, start + 3_000);
  w.remove(gone);
  w.remove(gone);
  w.add(moved, start + 8_000);
  w.sweep(start + 5_000);
  expect(expired).toEqual([]);
  w.sweep(start + 8_000);
  expect(expired).toEqual(['moved']);
});

it('expires an item whose deadline has already passed at the next sweep', () => {
  const { w, expired } = wheel();
  wheels.push(w);
  w.add({ name: 'past' }, start - 60_000);
  w.sweep(start + 1_000);
  expect(expired).toEqual(['past']);
});
