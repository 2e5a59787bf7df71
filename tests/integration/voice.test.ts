import { createHmac } from 'node:crypto';
import { topics } from '@commons/shared';
import { jwtVerify } from 'jose';
import { gatewayClient, person, startStack, type Stack } from '../testkit/stack';

type Person = Awaited<ReturnType<typeof person>>;

const LIVEKIT = {
  LIVEKIT_URL: 'wss://media.example.test',
  LIVEKIT_API_KEY: 'test-livekit-key',
  LIVEKIT_API_SECRET: 'test-livekit-secret-0123456789-abcdefghij',
};
const TURN = {
  TURN_URLS: 'turn:turn.example.test:3478?transport=udp, turns:turn.example.test:5349',
  TURN_SECRET: 'test-turn-secret-0123456789',
  TURN_TTL_S: '3600',
};

const CREATE_CHANNEL = `mutation($input: CreateChannelInput!) { createChannel(input: $input) { id name } }`;
const JOIN_CHANNEL = `mutation($id: ID!) { joinChannel(channelId: $id) { role } }`;
const JOIN_VOICE = `mutation($id: ID!) { joinVoice(channelId: $id) {
  participant { id muted deafened speaking joinedAt user { id } channel { id } }
  participants { id user { id displayName } }
  iceServers { urls username credential }
  mediaToken mediaUrl } }`;
const LEAVE = `mutation($p: ID!) { leaveVoice(participantId: $p) }`;
const HEARTBEAT = `mutation($p: ID!) { heartbeatVoice(participantId: $p) }`;
const UPDATE = `mutation($p: ID!, $muted: Boolean, $deafened: Boolean, $speaking: Boolean) {
  updateVoiceState(participantId: $p, muted: $muted, deafened: $deafened, speaking: $speaking) { id muted deafened speaking } }`;
const SEND_SIGNAL = `mutation($from: ID!, $to: ID!, $type: String!, $payload: String!) {
  sendSignal(fromParticipantId: $from, toParticipantId: $to, type: $type, payload: $payload) }`;
const SIGNALS = `subscription($p: ID!) { signals(participantId: $p) { fromParticipantId toParticipantId type payload } }`;
const VOICE_EVENTS = `subscription($id: ID!) { voiceEvents(channelId: $id) {
  kind participant { id muted deafened speaking user { id displayName } channel { id name } } } }`;
const PARTICIPANTS = `query($id: ID!) { channel(id: $id) { voiceParticipants { id muted user { displayName } channel { name } } } }`;

/** Time for stray events to arrive, before checking that none did. */
const settle = () => new Promise((r) => setTimeout(r, 300));

/**
 * Waits until `count` processes listen on the pub/sub topic (Redis PUBSUB, matched by the
 * topic's unique tail), so an event published from then on reaches the subscription.
 */
async function listening(stack: Stack, topic: string, count = 1) {
  const redis = stack.deps.redis!;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [channel] = (await redis.pubsub('CHANNELS', `*${topic}`)) as string[];
    const subscribers = channel ? Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]) : 0;
    if (subscribers >= count) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${count} subscriber(s) of ${topic}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function harness(getStack: () => Stack) {
  const s = () => getStack();
  return {
    async channel(owner: Person, overrides: Record<string, unknown> = {}) {
      const data = await s().expectData(owner, CREATE_CHANNEL, {
        input: { name: `voice-${Math.random().toString(36).slice(2, 7)}`, kind: 'VOICE', ...overrides },
      });
      return data.createChannel as { id: string; name: string };
    },
    async members(channelId: string, ...people: Person[]) {
      for (const p of people) await s().expectData(p, JOIN_CHANNEL, { id: channelId });
    },
    async join(who: Person, channelId: string, client: Pick<ReturnType<typeof gatewayClient>, 'expectData'> = s()) {
      return (await client.expectData(who, JOIN_VOICE, { id: channelId })).joinVoice;
    },
    async signal(who: Person, from: string, to: string, type: string, payload: string) {
      return (await s().expectData(who, SEND_SIGNAL, { from, to, type, payload })).sendSignal as boolean;
    },
  };
}

describe('voice', () => {
  let stack: Stack;
  const h = harness(() => stack);
  beforeAll(async () => {
    stack = await startStack('voice', { env: { ...LIVEKIT, ...TURN, VOICE_SIGNAL_BURST: '10', VOICE_SIGNAL_PER_SECOND: '2' } });
  });
  afterAll(async () => {
    await stack.closeSockets();
    await stack.close();
  });

  describe('joinVoice', () => {
    it('seats members, one participant per session, and lists the room across subgraphs', async () => {
      const alice = await person('Alice');
      const bob = await person('Bob');
      const room = await h.channel(alice);
      await h.members(room.id, bob);

      const first = await h.join(alice, room.id);
      expect(first.participant).toMatchObject({ muted: false, deafened: false, speaking: false, user: { id: alice.id }, channel: { id: room.id } });
      expect(first.participants.map((p: any) => p.id)).toEqual([first.participant.id]);

      const second = await h.join(bob, room.id);
      expect(second.participants.map((p: any) => [p.id, p.user.displayName])).toEqual([
        [first.participant.id, 'Alice'],
        [second.participant.id, 'Bob'],
      ]);

      // A second tab is a second participant.
      const tab = await h.join(alice, room.id);
      expect(tab.participant.id).not.toBe(first.participant.id);

      const data = await stack.expectData(alice, PARTICIPANTS, { id: room.id });
      expect(data.channel.voiceParticipants.map((p: any) => [p.id, p.user.displayName, p.channel.name])).toEqual([
        [first.participant.id, 'Alice', room.name],
        [second.participant.id, 'Bob', room.name],
        [tab.participant.id, 'Alice', room.name],
      ]);
    });

    it('hands out STUN, and TURN with credentials a coturn use-auth-secret server accepts', async () => {
      const alice = await person('Alice');
      const room = await h.channel(alice);
      const before = Math.floor(Date.now() / 1000);
      const { iceServers } = await h.join(alice, room.id);
      const after = Math.floor(Date.now() / 1000);

      expect(iceServers).toHaveLength(2);
      expect(iceServers[0]).toEqual({ urls: ['stun:stun.l.google.com:19302'], username: null, credential: null });
      const turn = iceServers[1];
      expect(turn.urls).toEqual(['turn:turn.example.test:3478?transport=udp', 'turns:turn.example.test:5349']);
      const [expiry, userId] = [turn.username.slice(0, turn.username.indexOf(':')), turn.username.slice(turn.username.indexOf(':') + 1)];
      expect(userId).toBe(alice.id);
      expect(Number(expiry)).toBeGreaterThanOrEqual(before + 3600);
      expect(Number(expiry)).toBeLessThanOrEqual(after + 3600);
      expect(turn.credential).toBe(createHmac('sha1', TURN.TURN_SECRET).update(turn.username).digest('base64'));
    });

    it('mints a LiveKit token for the seat: signed with the API secret, with the room grants', async () => {
      const alice = await person('Alice');
      const room = await h.channel(alice);
      const session = await h.join(alice, room.id);
      expect(session.mediaUrl).toBe(LIVEKIT.LIVEKIT_URL);

      const secret = new TextEncoder().encode(LIVEKIT.LIVEKIT_API_SECRET);
      const { payload, protectedHeader } = await jwtVerify(session.mediaToken, secret, { issuer: LIVEKIT.LIVEKIT_API_KEY });
      expect(protectedHeader.alg).toBe('HS256');
      expect(payload.sub).toBe(session.participant.id);
      expect(payload.name).toBe(alice.id);
      expect(payload.video).toEqual({ room: room.id, roomJoin: true, canPublish: true, canSubscribe: true });
      expect(payload.exp! - payload.nbf!).toBeLessThanOrEqual(600);

      const forged = new TextEncoder().encode('not-the-livekit-secret-0123456789-abcdefgh');
      await expect(jwtVerify(session.mediaToken, forged)).rejects.toThrow();
    });

    it('refuses other channel kinds, non-members, hidden and archived channels', async () => {
      const alice = await person('Alice');
      const stranger = await person('Stranger');
      const text = await h.channel(alice, { kind: 'TEXT' });
      await stack.expectError(alice, JOIN_VOICE, { id: text.id }, 'BAD_USER_INPUT');
      const data = await stack.expectData(alice, PARTICIPANTS, { id: text.id });
      expect(data.channel.voiceParticipants).toEqual([]);

      const open = await h.channel(alice);
      await stack.expectError(stranger, JOIN_VOICE, { id: open.id }, 'FORBIDDEN');
      const hidden = await h.channel(alice, { visibility: 'PRIVATE' });
      await stack.expectError(stranger, JOIN_VOICE, { id: hidden.id }, 'NOT_FOUND');
      await stack.expectError(stranger, JOIN_VOICE, { id: 'not-a-uuid' }, 'NOT_FOUND');

      await stack.expectData(alice, `mutation($id: ID!) { archiveChannel(id: $id) { id } }`, { id: open.id });
      await stack.expectError(alice, JOIN_VOICE, { id: open.id }, 'CONFLICT');
    });
  });

  describe('signalling', () => {
    it('relays an offer/answer/candidate exchange to the addressed participant only', async () => {
      const alice = await person('Alice');
      const bob = await person('Bob');
      const carol = await person('Carol');
      const room = await h.channel(alice);
      await h.members(room.id, bob, carol);
      const a = (await h.join(alice, room.id)).participant.id;
      const b = (await h.join(bob, room.id)).participant.id;
      const c = (await h.join(carol, room.id)).participant.id;

      const toAlice = stack.subscribe(stack.connect(alice), SIGNALS, { p: a });
      const toBob = stack.subscribe(stack.connect(bob), SIGNALS, { p: b });
      const toCarol = stack.subscribe(stack.connect(carol), SIGNALS, { p: c });
      for (const p of [a, b, c]) await listening(stack, topics.voiceSignals(p));
      // Carol, in the same room, cannot read Alice's signals: NOT_FOUND, and nothing after it.
      const snoop = stack.subscribe(stack.connect(carol), SIGNALS, { p: a });
      const end = await snoop.end();

      const offer = JSON.stringify({ type: 'offer', sdp: 'v=0\r\no=alice 1 1 IN IP4 0.0.0.0\r\n' });
      const answer = JSON.stringify({ type: 'answer', sdp: 'v=0\r\no=bob 2 2 IN IP4 0.0.0.0\r\n' });
      const candidate = (n: number) => JSON.stringify({ candidate: `candidate:${n} 1 udp 2122260223 10.0.0.${n} 5000${n} typ host`, sdpMid: '0' });
      expect(await h.signal(alice, a, b, 'offer', offer)).toBe(true);
      await toBob.next(1);
      expect(await h.signal(bob, b, a, 'answer', answer)).toBe(true);
      await toAlice.next(1);
      expect(await h.signal(alice, a, b, 'candidate', candidate(1))).toBe(true);
      expect(await h.signal(bob, b, a, 'candidate', candidate(2))).toBe(true);

      // Carol cannot forge a signal from Alice's seat.
      await stack.expectError(carol, SEND_SIGNAL, { from: a, to: b, type: 'offer', payload: 'forged' }, 'FORBIDDEN');

      const signalsOf = async (sub: typeof toAlice, n: number) => (await sub.next(n)).map((r) => r.data!.signals);
      expect(await signalsOf(toBob, 2)).toEqual([
        { fromParticipantId: a, toParticipantId: b, type: 'offer', payload: offer },
        { fromParticipantId: a, toParticipantId: b, type: 'candidate', payload: candidate(1) },
      ]);
      expect(await signalsOf(toAlice, 2)).toEqual([
        { fromParticipantId: b, toParticipantId: a, type: 'answer', payload: answer },
        { fromParticipantId: b, toParticipantId: a, type: 'candidate', payload: candidate(2) },
      ]);

      expect(end.error).toBeUndefined();
      expect(snoop.results).toHaveLength(1);
      expect(snoop.results[0].data ?? null).toBeNull();
      expect(snoop.results[0].errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      await settle();
      expect(toCarol.results).toEqual([]);
      expect(toBob.results).toHaveLength(2);
      expect(toAlice.results).toHaveLength(2);

      // Leaving ends the seat's own signal stream.
      expect((await stack.expectData(alice, LEAVE, { p: a })).leaveVoice).toBe(true);
      expect(await toAlice.end()).toEqual({});
      toBob.unsubscribe();
      toCarol.unsubscribe();
    });

    it('keeps signals within one room and within the limits', async () => {
      const alice = await person('Alice');
      const bob = await person('Bob');
      const outsider = await person('Outsider');
      const room = await h.channel(alice);
      const other = await h.channel(alice);
      await h.members(room.id, bob);
      const a = (await h.join(alice, room.id)).participant.id;
      const b = (await h.join(bob, room.id)).participant.id;
      const elsewhere = (await h.join(alice, other.id)).participant.id;

      const send = (who: Person, from: string, to: string, type: string, payload: string, code: string) =>
        stack.expectError(who, SEND_SIGNAL, { from, to, type, payload }, code);
      await send(alice, a, b, 'hello', '{}', 'BAD_USER_INPUT');
      await send(alice, a, a, 'offer', '{}', 'BAD_USER_INPUT');
      await send(alice, a, b, 'offer', 'x'.repeat(64 * 1024 + 1), 'BAD_USER_INPUT');
      // 64 KiB counts bytes: 16,385 four-byte characters are over it.
      await send(alice, a, b, 'offer', '😀'.repeat(16 * 1024 + 1), 'BAD_USER_INPUT');
      expect(await h.signal(alice, a, b, 'offer', 'x'.repeat(64 * 1024))).toBe(true);
      await send(alice, elsewhere, b, 'offer', '{}', 'NOT_FOUND');
      await send(alice, a, '00000000-0000-4000-8000-000000000000', 'offer', '{}', 'NOT_FOUND');
      await send(outsider, a, b, 'offer', '{}', 'FORBIDDEN');
      await send(outsider, 'not-a-uuid', b, 'offer', '{}', 'NOT_FOUND');

      // The limit is per sending seat (burst 10 here): Bob's seat has its own budget.
      const burst = await Promise.all(
        Array.from({ length: 14 }, () => stack.request(alice, SEND_SIGNAL, { from: a, to: b, type: 'candidate', payload: '{}' })),
      );
      const codes = burst.map((r) => r.errors?.[0]?.extensions?.code ?? 'OK');
      // One signal of the burst budget went to the 64 KiB offer above.
      expect(codes.filter((c) => c === 'OK')).toHaveLength(9);
      expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(5);
      expect(burst.find((r) => r.errors)?.errors?.[0]?.extensions?.retryAfterMs).toBeGreaterThan(0);
      expect(await h.signal(bob, b, a, 'answer', '{}')).toBe(true);
    });
  });

  describe('state', () => {
    it('publishes JOINED, UPDATED and LEFT, with fields from the channel subgraph even after the row is gone', async () => {
      const alice = await person('Alice');
      const bob = await person('Bob');
      const room = await h.channel(alice);
      await h.members(room.id, bob);
      const events = stack.subscribe(stack.connect(bob), VOICE_EVENTS, { id: room.id });
      await listening(stack, topics.voiceRoom(room.id));

      const a = (await h.join(alice, room.id)).participant.id;
      const updated = await stack.expectData(alice, UPDATE, { p: a, muted: true, speaking: true });
      expect(updated.updateVoiceState).toEqual({ id: a, muted: true, deafened: false, speaking: true });
      // Nothing changed: no event. Omitted (and null) arguments keep their values.
      await stack.expectData(alice, UPDATE, { p: a, muted: true, deafened: null });
      expect((await stack.expectData(alice, LEAVE, { p: a })).leaveVoice).toBe(true);
      expect((await stack.expectData(alice, LEAVE, { p: a })).leaveVoice).toBe(false);

      const results = await events.next(3);
      await settle();
      expect(results).toHaveLength(3);
      const participant = (muted: boolean, speaking: boolean) => ({
        id: a,
        muted,
        deafened: false,
        speaking,
        user: { id: alice.id, displayName: 'Alice' },
        channel: { id: room.id, name: room.name },
      });
      expect(results.map((r) => r.errors ?? r.data!.voiceEvents)).toEqual([
        { kind: 'JOINED', participant: participant(false, false) },
        { kind: 'UPDATED', participant: participant(true, true) },
        { kind: 'LEFT', participant: participant(true, true) },
      ]);
      events.unsubscribe();
    });

    it('lets only the owner change, keep or give up a seat', async () => {
      const alice = await person('Alice');
      const bob = await person('Bob');
      const stranger = await person('Stranger');
      const room = await h.channel(alice);
      const hidden = await h.channel(alice, { visibility: 'PRIVATE' });
      await h.members(room.id, bob);
      const a = (await h.join(alice, room.id)).participant.id;
      const secret = (await h.join(alice, hidden.id)).participant.id;

      await stack.expectError(bob, UPDATE, { p: a, muted: true }, 'FORBIDDEN');
      await stack.expectError(bob, HEARTBEAT, { p: a }, 'FORBIDDEN');
      await stack.expectError(bob, LEAVE, { p: a }, 'FORBIDDEN');
      // A seat in a channel the caller cannot see does not exist for them.
      await stack.expectError(stranger, UPDATE, { p: secret, muted: true }, 'NOT_FOUND');
      await stack.expectError(stranger, LEAVE, { p: secret }, 'NOT_FOUND');
      // The channel subgraph answers null for a hidden channel: voice is not even asked.
      expect((await stack.expectData(stranger, PARTICIPANTS, { id: hidden.id })).channel).toBeNull();

      expect((await stack.expectData(alice, HEARTBEAT, { p: a })).heartbeatVoice).toBe(true);
      expect((await stack.expectData(alice, LEAVE, { p: a })).leaveVoice).toBe(true);
      expect((await stack.expectData(alice, HEARTBEAT, { p: a })).heartbeatVoice).toBe(false);
      await stack.expectError(alice, UPDATE, { p: a, muted: true }, 'NOT_FOUND');

      const hiddenEvents = stack.subscribe(stack.connect(stranger), VOICE_EVENTS, { id: hidden.id });
      await hiddenEvents.end();
      expect(hiddenEvents.results[0].errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });

    it('keeps the room across a restart of the voice subgraph', async () => {
      const alice = await person('Alice');
      const bob = await person('Bob');
      const room = await h.channel(alice);
      await h.members(room.id, bob);
      const a = (await h.join(alice, room.id)).participant.id;
      const b = (await h.join(bob, room.id)).participant.id;

      await stack.restartSubgraph('voice');

      const data = await stack.expectData(alice, PARTICIPANTS, { id: room.id });
      expect(data.channel.voiceParticipants.map((p: any) => p.id)).toEqual([a, b]);
      expect((await stack.expectData(alice, HEARTBEAT, { p: a })).heartbeatVoice).toBe(true);
      const toBob = stack.subscribe(stack.connect(bob), SIGNALS, { p: b });
      await listening(stack, topics.voiceSignals(b));
      expect(await h.signal(alice, a, b, 'offer', '{"sdp":"after restart"}')).toBe(true);
      expect((await toBob.next(1))[0].data!.signals).toMatchObject({ fromParticipantId: a, payload: '{"sdp":"after restart"}' });
      toBob.unsubscribe();
    });
  });
});

describe('voice presence expiry', () => {
  let stack: Stack;
  const h = harness(() => stack);
  beforeAll(async () => {
    stack = await startStack('voice_expiry', { env: { VOICE_HEARTBEAT_TIMEOUT_MS: '1500', VOICE_SWEEP_INTERVAL_MS: '100' } });
  });
  afterAll(async () => {
    await stack.closeSockets();
    await stack.close();
  });

  it('removes a seat without heartbeats and announces LEFT once, with two replicas sweeping', async () => {
    const other = await stack.startReplica('voice');
    const alice = await person('Alice');
    const bob = await person('Bob');
    const room = await h.channel(alice);
    await h.members(room.id, bob);
    const events = stack.subscribe(stack.connect(bob), VOICE_EVENTS, { id: room.id });
    const otherEvents = other.client.subscribe(other.client.connect(bob), VOICE_EVENTS, { id: room.id });
    // One listener per voice process: the stack's and the replica's.
    await listening(stack, topics.voiceRoom(room.id), 2);

    const a = (await h.join(alice, room.id)).participant.id;
    const b = (await h.join(bob, room.id, other.client)).participant.id;
    const aliceSignals = stack.subscribe(stack.connect(alice), SIGNALS, { p: a });
    await listening(stack, topics.voiceSignals(a));
    // Bob keeps his seat alive (through either replica); Alice goes silent.
    const keepAlive = setInterval(() => void stack.request(bob, HEARTBEAT, { p: b }), 300);
    try {
      const left = (results: typeof events.results) => results.filter((r) => r.data?.voiceEvents.kind === 'LEFT');
      const deadline = Date.now() + 8000;
      while (left(events.results).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(left(events.results).map((r) => r.data!.voiceEvents.participant)).toEqual([
        expect.objectContaining({ id: a, user: { id: alice.id, displayName: 'Alice' }, channel: { id: room.id, name: room.name } }),
      ]);
      // Both replicas keep sweeping; the seat is never announced twice, on either.
      await new Promise((r) => setTimeout(r, 1000));
      expect(left(events.results)).toHaveLength(1);
      expect(left(otherEvents.results)).toHaveLength(1);
      // Her signal stream completes (it was live: no error in it).
      expect(await aliceSignals.end()).toEqual({});
      expect(aliceSignals.results).toEqual([]);

      const data = await stack.expectData(bob, PARTICIPANTS, { id: room.id });
      expect(data.channel.voiceParticipants.map((p: any) => p.id)).toEqual([b]);
      expect((await stack.expectData(alice, HEARTBEAT, { p: a })).heartbeatVoice).toBe(false);
      await stack.expectError(alice, UPDATE, { p: a, muted: true }, 'NOT_FOUND');
      await stack.expectError(bob, SEND_SIGNAL, { from: b, to: a, type: 'offer', payload: '{}' }, 'NOT_FOUND');
    } finally {
      clearInterval(keepAlive);
      events.unsubscribe();
      otherEvents.unsubscribe();
    }
  });

  it('without TURN or a media server, hands out STUN only and no media token', async () => {
    const alice = await person('Alice');
    const room = await h.channel(alice);
    const session = await h.join(alice, room.id);
    expect(session.iceServers).toEqual([{ urls: ['stun:stun.l.google.com:19302'], username: null, credential: null }]);
    expect(session.mediaToken).toBeNull();
    expect(session.mediaUrl).toBeNull();
  });
});
