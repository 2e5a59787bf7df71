import { createHmac } from 'node:crypto';
import type { VoiceConfig } from '@commons/shared';

export interface IceServer {
  urls: string[];
  username: string | null;
  credential: string | null;
}

/**
 * A TURN credential as coturn's `use-auth-secret` (the TURN REST API scheme) checks it:
 * username `<expiry unix seconds>:<userId>`, credential base64(HMAC-SHA1(secret, username)).
 * The TURN server recomputes it from the shared secret; nothing is stored.
 */
export function turnCredential(secret: string, userId: string, ttlS: number, nowMs = Date.now()): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlS}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** The ICE servers for one user: the configured STUN servers, and TURN with fresh credentials. */
export function iceServersFor(settings: Pick<VoiceConfig, 'stunUrls' | 'turn'>, userId: string, nowMs = Date.now()): IceServer[] {
  const servers: IceServer[] = [];
  if (settings.stunUrls.length > 0) servers.push({ urls: settings.stunUrls, username: null, credential: null });
  if (settings.turn) servers.push({ urls: settings.turn.urls, ...turnCredential(settings.turn.secret, userId, settings.turn.ttlS, nowMs) });
  return servers;
}
