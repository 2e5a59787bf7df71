import { createHmac } from 'node:crypto';
import { ConfigError, loadConfig } from '@commons/shared';
import { jwtVerify } from 'jose';
import { iceServersFor, turnCredential } from '../src/domain/ice';
import { mediaTokenFor } from '../src/domain/mediaToken';

const participant = {
  id: '5b0f8f5e-0d5c-4c57-9a57-8d1d1f1c2b3a',
  channelId: 'c3a4b1de-2f1e-4d1a-8f7b-1a2b3c4d5e6f',
  userId: 'alice',
  muted: false,
  deafened: false,
  speaking: false,
  joinedAt: new Date(),
  lastHeartbeatAt: new Date(),
};

describe('TURN credentials', () => {
  it('follow the TURN REST scheme: <expiry>:<userId>, base64 HMAC-SHA1 of it', () => {
    const now = Date.UTC(2026, 0, 31, 12, 0, 0);
    const { username, credential } = turnCredential('s3cret', 'alice', 3600, now);
    expect(username).toBe(`${now / 1000 + 3600}:alice`);
    expect(credential).toBe(createHmac('sha1', 's3cret').update(username).digest('base64'));
  });

  it('come after the STUN servers, and only when TURN is configured', () => {
    expect(iceServersFor({ stunUrls: [], turn: undefined }, 'alice')).toEqual([]);
    const servers = iceServersFor({ stunUrls: ['stun:a'], turn: { urls: ['turn:b'], secret: 'x', ttlS: 60 } }, 'alice');
    expect(servers.map((s) => s.urls)).toEqual([['stun:a'], ['turn:b']]);
  });
});

describe('media tokens', () => {
  it('are null without a media server', async () => {
    expect(await mediaTokenFor(undefined, participant)).toBeNull();
  });

  it('carry the seat as identity and the room grants, for the configured TTL', async () => {
    const livekit = { url: 'wss://lk.test', apiKey: 'key', apiSecret: 'secret-secret-secret-secret-secret', tokenTtlS: 120 };
    const token = (await mediaTokenFor(livekit, participant))!;
    const { payload } = await jwtVerify(token, new TextEncoder().encode(livekit.apiSecret), { issuer: 'key' });
    expect(payload).toMatchObject({ sub: participant.id, name: 'alice', video: { room: participant.channelId, roomJoin: true, canPublish: true, canSubscribe: true } });
    expect(payload.exp! - payload.nbf!).toBe(120);
  });
});

describe('voice configuration', () => {
  it('has working defaults', () => {
    expect(loadConfig({}).voice).toEqual({
      stunUrls: ['stun:stun.l.google.com:19302'],
      turn: undefined,
      livekit: undefined,
      heartbeatTimeoutMs: 30_000,
      sweepIntervalMs: 5000,
      signalRateLimit: { burst: 60, perSecond: 20 },
    });
  });

  it('reports TURN and LiveKit settings that only come in part', () => {
    expect(() => loadConfig({ TURN_URLS: 'turn:x' })).toThrow(ConfigError);
    expect(() => loadConfig({ LIVEKIT_URL: 'wss://lk.test', LIVEKIT_API_KEY: 'key' })).toThrow(/LIVEKIT_URL/);
    expect(loadConfig({ STUN_URLS: 'stun:a, stun:b', TURN_URLS: 'turn:t', TURN_SECRET: 'x' }).voice).toMatchObject({
      stunUrls: ['stun:a', 'stun:b'],
      turn: { urls: ['turn:t'], secret: 'x', ttlS: 86400 },
    });
  });
});
