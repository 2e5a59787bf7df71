import type { VoiceConfig } from '@commons/shared';
import type { VoiceParticipant } from '@commons/shared/src/generated/prisma/client';
import { AccessToken } from 'livekit-server-sdk';

/**
 * A LiveKit join token for one seat: identity = the participant id (so two tabs are two
 * media participants), name = the user id (clients resolve display names through the graph,
 * so a rename never leaves a stale name in a live room), room = the channel id, and the
 * rights to join, publish and subscribe. Null when no media server is configured.
 */
export async function mediaTokenFor(livekit: VoiceConfig['livekit'], participant: VoiceParticipant): Promise<string | null> {
  if (!livekit) return null;
  const token = new AccessToken(livekit.apiKey, livekit.apiSecret, {
    identity: participant.id,
    name: participant.userId,
    ttl: livekit.tokenTtlS,
  });
  token.addGrant({ room: participant.channelId, roomJoin: true, canPublish: true, canSubscribe: true });
  return token.toJwt();
}
