import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { unauthenticated } from './errors';

/** The caller, as verified by the gateway from the client's JWT. */
export interface Viewer {
  id: string;
  /** From the `name` claim; seeds displayName on first sight. */
  name?: string;
  /** From the `preferred_username` claim; seeds the handle on first sight. */
  handle?: string;
  /** When the client's token expires (ms since the epoch): long-lived sockets close then. */
  expiresAt?: number;
  /** Set only on FANOUT_VIEWER, which no client token can produce. */
  fanout?: true;
}

/**
 * The gateway itself, resolving a live stream once for every subscriber of the same operation.
 * It may read any channel's events; each subscriber was admitted by the subgraph under their own
 * identity first and is dropped the moment they lose access, so it never widens what a person
 * sees. Its id is a UUID no user row has, so a query keyed by it finds nothing.
 */
export const FANOUT_VIEWER: Viewer = Object.freeze({ id: '00000000-0000-0000-0000-000000000000', name: 'gateway', fanout: true });

/** The header in which the gateway forwards the verified caller to subgraphs. */
export const FORWARDED_USER_HEADER = 'x-commons-user';
const FORWARDED_AUDIENCE = 'commons-subgraph';
const FORWARDED_TTL_S = 120;

const encoder = new TextEncoder();
const viewerFromClaims = (claims: JWTPayload): Viewer => {
  if (typeof claims.sub !== 'string' || claims.sub.length === 0 || claims.sub.length > 128) {
    throw unauthenticated('The token has no usable subject');
  }
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  return {
    id: claims.sub,
    name: str(claims.name),
    handle: str(claims.preferred_username),
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : undefined,
  };
};

/**
 * Verified tokens and what they said, kept until they expire (expiry is checked on every hit),
 * the least recently used dropped first: checking a signature on every request is waste.
 */
function verifiedTokenCache<T>(max = 10_000) {
  const entries = new Map<string, { value: T; expiresAt: number }>();
  return {
    get(token: string): { value: T } | undefined {
      const hit = entries.get(token);
      if (!hit) return undefined;
      entries.delete(token);
      if (hit.expiresAt <= Date.now()) return undefined;
      entries.set(token, hit);
      return hit;
    },
    /** Only for a token that passed verification; one without an expiry is not kept. */
    set(token: string, value: T, expiresAt: number | undefined) {
      if (!expiresAt || expiresAt <= Date.now()) return;
      if (entries.size >= max) entries.delete(entries.keys().next().value!);
      entries.set(token, { value, expiresAt });
    },
  };
}

export interface ClientTokenOptions {
  jwtSecret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

/**
 * Verifies client JWTs: HS256 with a shared secret (development), or keys from an
 * identity provider's JWKS URL. A bad, forged or expired token is UNAUTHENTICATED,
 * never a silent anonymous.
 */
export function createClientTokenVerifier(options: ClientTokenOptions) {
  const key: Uint8Array | JWTVerifyGetKey = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl))
    : encoder.encode(options.jwtSecret ?? '');
  const algorithms = options.jwksUrl ? undefined : ['HS256'];
  const verified = verifiedTokenCache<Viewer>();
  return async function verifyAuthorization(authorization: string | undefined | null): Promise<Viewer | null> {
    if (!authorization) return null;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>"');
    const hit = verified.get(match[1]);
    if (hit) return hit.value;
    try {
      const { payload } = await jwtVerify(match[1], key as Uint8Array, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
      });
      const viewer = viewerFromClaims(payload);
      verified.set(match[1], viewer, viewer.expiresAt);
      return viewer;
    } catch (err) {
      if ((err as { extensions?: unknown }).extensions) throw err;
      const expired = (err as { code?: string }).code === 'ERR_JWT_EXPIRED';
      throw unauthenticated(expired ? 'The token has expired' : 'The token is not valid');
    }
  };
}

/** Signs a development token, as `npm run token` and the tests do. */
export async function signClientToken(
  secret: string,
  viewer: Viewer,
  options: { expiresIn?: string | number; issuer?: string; audience?: string } = {},
): Promise<string> {
  const jwt = new SignJWT({ name: viewer.name, preferred_username: viewer.handle })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(viewer.id)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h');
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  return jwt.sign(encoder.encode(secret));
}

/**
 * The gateway's word to a subgraph about who is calling: an HS256 token over the verified
 * viewer (or `anon`), signed with the secret only the gateway and subgraphs share. A caller
 * who reaches a subgraph directly cannot make one, so a subgraph is never an open door.
 * Signed tokens are cached per viewer for most of their life: signing per request is waste.
 */
export function createForwardedUserSigner(gatewaySecret: string) {
  const key = encoder.encode(gatewaySecret);
  const cache = new Map<string, { token: string; renewAt: number }>();
  return async function signForwardedUser(viewer: Viewer | null): Promise<string> {
    const cacheKey = viewer ? JSON.stringify([viewer.id, viewer.name, viewer.handle, viewer.fanout === true]) : '';
    const now = Date.now();
    const hit = cache.get(cacheKey);
    if (hit && hit.renewAt > now) return hit.token;
    const claims = viewer?.fanout ? { fanout: true } : viewer ? { name: viewer.name, handle: viewer.handle } : { anon: true };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(viewer?.id ?? 'anonymous')
      .setAudience(FORWARDED_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(now / 1000) + FORWARDED_TTL_S)
      .sign(key);
    if (cache.size > 10_000) cache.clear();
    cache.set(cacheKey, { token, renewAt: now + (FORWARDED_TTL_S / 2) * 1000 });
    return token;
  };
}

/** A subgraph's check of the gateway's token; caches verified tokens until they expire. */
export function createForwardedUserVerifier(gatewaySecret: string) {
  const key = encoder.encode(gatewaySecret);
  const verified = verifiedTokenCache<Viewer | null>();
  return async function verifyForwardedUser(token: string | undefined | null): Promise<Viewer | null> {
    if (!token) throw unauthenticated('This service only answers the gateway');
    const hit = verified.get(token);
    if (hit) return hit.value;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'], audience: FORWARDED_AUDIENCE }));
    } catch {
      throw unauthenticated('This service only answers the gateway');
    }
    const viewer = payload.anon
      ? null
      : payload.fanout
        ? FANOUT_VIEWER
        : { id: String(payload.sub), name: payload.name as string | undefined, handle: payload.handle as string | undefined };
    verified.set(token, viewer, (payload.exp ?? 0) * 1000);
    return viewer;
  };
}
