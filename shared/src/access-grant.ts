import { jwtVerify, SignJWT } from 'jose';
import type { ChannelAccessRow } from './access';
import type { ChannelKind, ChannelVisibility, MemberRole } from './generated/prisma/enums';
import type { ChannelWithMembership } from './pg-reads';

/**
 * A channel access grant: the channel subgraph's signed word, inside one client request, that it
 * has just read this channel's access row and the caller's membership (the read every subgraph's
 * access check makes). The planner carries it to the other subgraphs in the Channel entity's
 * representation (`accessGrant`, @inaccessible, which their channel fields @require), so a page
 * load reads the access row once instead of once per subgraph.
 *
 * What a grant changes is only where the row comes from: every check still runs on it. A grant is
 * bound to the caller and the channel, lives GRANT_TTL_S (a request's plan uses it at once; the
 * rest is slack for clocks), and is signed with the gateway secret under an audience of its own,
 * so it is never taken for a forwarded-user token nor the other way round. A grant that is
 * missing, forged, expired or for someone else is ignored: the subgraph reads the row itself.
 * The next operation gets a new grant from a new read, so a removal takes effect as before.
 */
export interface AccessGrants {
  sign(read: ChannelWithMembership<ChannelAccessRow>, viewerId: string): Promise<string>;
  /** The access row the grant vouches for, or null when it vouches for nothing here. */
  verify(token: unknown, channelId: string, viewerId: string): Promise<ChannelWithMembership<ChannelAccessRow> | null>;
}

const GRANT_AUDIENCE = 'commons-channel-access';
export const GRANT_TTL_S = 30;
/** A grant is a short string; anything much longer is not one (and is not worth verifying). */
const MAX_GRANT_LENGTH = 1024;

/** The claims of a grant: the access row and the membership, dates as epoch milliseconds. */
interface GrantClaims {
  ch: string;
  kind: ChannelKind;
  vis: ChannelVisibility;
  arch: number | null;
  role: MemberRole | null;
  joined: number | null;
}

export function createAccessGrants(gatewaySecret: string): AccessGrants {
  const key = new TextEncoder().encode(gatewaySecret);
  return {
    async sign({ channel, membership }, viewerId) {
      const claims: GrantClaims = {
        ch: channel.id,
        kind: channel.kind,
        vis: channel.visibility,
        arch: channel.archivedAt?.getTime() ?? null,
        role: membership?.role ?? null,
        joined: membership?.joinedAt.getTime() ?? null,
      };
      return new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(viewerId)
        .setAudience(GRANT_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${GRANT_TTL_S}s`)
        .sign(key);
    },
    async verify(token, channelId, viewerId) {
      if (typeof token !== 'string' || token.length > MAX_GRANT_LENGTH) return null;
      let claims: Partial<GrantClaims> & { sub?: string };
      try {
        ({ payload: claims } = await jwtVerify(token, key, { algorithms: ['HS256'], audience: GRANT_AUDIENCE, requiredClaims: ['exp', 'sub'] }));
      } catch {
        return null;
      }
      if (claims.sub !== viewerId || claims.ch !== channelId) return null;
      const { kind, vis, arch, role, joined } = claims;
      if (typeof kind !== 'string' || typeof vis !== 'string') return null;
      const channel: ChannelAccessRow = { id: channelId, kind, visibility: vis, archivedAt: typeof arch === 'number' ? new Date(arch) : null };
      const membership = typeof role === 'string' && typeof joined === 'number' ? { channelId, userId: viewerId, role, joinedAt: new Date(joined) } : null;
      return { channel, membership };
    },
  };
}
