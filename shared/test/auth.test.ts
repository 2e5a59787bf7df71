import { SignJWT } from 'jose';
import {
  createClientTokenVerifier,
  createForwardedUserSigner,
  createForwardedUserVerifier,
  signClientToken,
} from '../src/auth';

const SECRET = 'test-jwt-secret-0123456789-abcdefghijklmnop';
const GATEWAY_SECRET = 'test-gateway-secret-0123456789-abcdef';
const T0 = Date.parse('2026-01-01T00:00:00Z');

// Only the clock is faked: jose reads it (new Date()) as the caches do (Date.now()); the
// promises of WebCrypto keep running on the real event loop.
beforeEach(() => {
  jest.useFakeTimers({
    now: T0,
    doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'hrtime', 'performance'],
  });
});
afterEach(() => jest.useRealTimers());

const bearer = (token: string) => `Bearer ${token}`;

describe('the client token verifier', () => {
  it('answers a repeated token from its cache, and refuses it once expired', async () => {
    const verify = createClientTokenVerifier({ jwtSecret: SECRET });
    const token = await signClientToken(SECRET, { id: 'user-1', name: 'Ann' }, { expiresIn: '60s' });

    const first = await verify(bearer(token));
    expect(first).toMatchObject({ id: 'user-1', name: 'Ann', expiresAt: T0 + 60_000 });
    // The same object: the second call did not verify again.
    expect(await verify(bearer(token))).toBe(first);

    jest.setSystemTime(T0 + 59_999);
    expect(await verify(bearer(token))).toBe(first);
    jest.setSystemTime(T0 + 60_000);
    await expect(verify(bearer(token))).rejects.toMatchObject({
      message: 'The token has expired',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    // Still refused on the next try: the expired entry is gone, not renewed.
    await expect(verify(bearer(token))).rejects.toMatchObject({ message: 'The token has expired' });
  });

  it('never caches a refusal', async () => {
    const verify = createClientTokenVerifier({ jwtSecret: SECRET });
    const forged = await signClientToken('another-secret-0123456789-abcdefghijklmnop', { id: 'user-1' });
    await expect(verify(bearer(forged))).rejects.toMatchObject({ message: 'The token is not valid' });
    await expect(verify(bearer(forged))).rejects.toMatchObject({ message: 'The token is not valid' });

    // Valid signature, no subject: refused after verification, and again.
    const noSubject = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
    await expect(verify(bearer(noSubject))).rejects.toMatchObject({ message: 'The token has no usable subject' });
    await expect(verify(bearer(noSubject))).rejects.toMatchObject({ message: 'The token has no usable subject' });
  });
});

describe('the forwarded user verifier', () => {
  it('refuses a cached gateway token once expired', async () => {
    const sign = createForwardedUserSigner(GATEWAY_SECRET);
    const verify = createForwardedUserVerifier(GATEWAY_SECRET);
    const token = await sign({ id: 'user-2', name: 'Bo' });

    const viewer = await verify(token);
    expect(viewer).toMatchObject({ id: 'user-2', name: 'Bo' });
    expect(await verify(token)).toBe(viewer);

    jest.setSystemTime(T0 + 120_000);
    await expect(verify(token)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });
});
