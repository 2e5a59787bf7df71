import DataLoader from 'dataloader';
import type { AccessGrants } from './access-grant';
import type { Viewer } from './auth';
import { forbidden, notFound, unauthenticated } from './errors';
import type { Membership, PrismaClient } from './generated/prisma/client';
import type { ChannelKind, ChannelVisibility, MemberRole } from './generated/prisma/enums';
import { isUuid } from './ids';
import { channelAccessById, type ChannelWithMembership } from './pg-reads';

export interface ChannelAccessRow {
  id: string;
  kind: ChannelKind;
  visibility: ChannelVisibility;
  archivedAt: Date | null;
}

/**
 * The one place every subgraph reads channel visibility and membership for authorization
 * (the architecture allows exactly this cross-domain read). Loaders are per request, so a
 * role change or removal takes effect on the very next operation.
 */
export class ChannelAccess {
  // The channel and the viewer's membership of it, read together: one statement per batch.
  private readonly channels: DataLoader<string, ChannelWithMembership<ChannelAccessRow> | null>;

  constructor(
    prisma: PrismaClient,
    readonly viewer: Viewer | null,
    private readonly grants?: AccessGrants,
  ) {
    this.channels = new DataLoader((ids) => channelAccessById(prisma, ids, viewer?.id ?? null));
  }

  /**
   * A signed grant of what this request read about the channel (see access-grant.ts), for the
   * other subgraphs; null when the caller may not read it (or there is no one to sign for).
   */
  async grant(channelId: string): Promise<string | null> {
    if (!this.viewer || !this.grants || !(await this.canRead(channelId))) return null;
    const read = await this.channels.load(channelId);
    return read ? this.grants.sign(read, this.viewer.id) : null;
  }

  /**
   * Takes the access row from a grant the channel subgraph signed for this caller and channel in
   * this request, so that checking it reads nothing; anything else is ignored (the row is read).
   */
  async acceptGrant(channelId: string, grant: unknown): Promise<void> {
    if (!this.viewer || !this.grants || grant == null || !isUuid(channelId)) return;
    const read = await this.grants.verify(grant, channelId, this.viewer.id);
    if (read) this.channels.prime(channelId, read);
  }

  /**
   * Takes what the caller has just read itself (a channel row with the viewer's membership,
   * see pg-reads.ts), so that checking it reads nothing more. Keeps what was loaded before.
   */
  prime(channelId: string, read: ChannelWithMembership<ChannelAccessRow> | null): void {
    this.channels.prime(channelId, read);
  }

  /** Forget what this request has read, after it changed membership itself. */
  clear(channelId: string): void {
    this.channels.clear(channelId);
  }

  async channel(channelId: string): Promise<ChannelAccessRow | null> {
    return isUuid(channelId) ? ((await this.channels.load(channelId))?.channel ?? null) : null;
  }

  /** The viewer's membership of the channel; null when anonymous or not a member. */
  async membership(channelId: string): Promise<Membership | null> {
    return isUuid(channelId) ? ((await this.channels.load(channelId))?.membership ?? null) : null;
  }

  async role(channelId: string): Promise<MemberRole | null> {
    return (await this.membership(channelId))?.role ?? null;
  }

  /** Signed-in callers read PUBLIC channels and the PRIVATE ones they belong to. */
  async canRead(channelId: string): Promise<boolean> {
    if (!this.viewer) return false;
    const channel = await this.channel(channelId);
    if (!channel) return false;
    return this.viewer.fanout === true || channel.visibility === 'PUBLIC' || (await this.role(channelId)) !== null;
  }

  /**
   * The channel, or NOT_FOUND both when it is missing and when the caller may not see it,
   * so that probing ids reveals nothing.
   */
  async requireReadable(channelId: string): Promise<ChannelAccessRow> {
    if (!this.viewer) throw unauthenticated();
    const channel = await this.channel(channelId);
    if (!channel || !(await this.canRead(channelId))) throw notFound('Channel');
    return channel;
  }

  /** The caller's role in a channel they can see; FORBIDDEN when they lack one of `roles`. */
  async requireMember(channelId: string, roles?: readonly MemberRole[]): Promise<{ channel: ChannelAccessRow; role: MemberRole }> {
    const channel = await this.requireReadable(channelId);
    const role = await this.role(channelId);
    if (!role) throw forbidden('Join this channel first');
    if (roles && !roles.includes(role)) throw forbidden(`This needs the ${roles.join(' or ')} role`);
    return { channel, role };
  }

  requireViewer(): Viewer {
    if (!this.viewer) throw unauthenticated();
    return this.viewer;
  }
}

/**
 * `__resolveReference` for Channel in the subgraphs that add fields to it (message, voice, board):
 * only the id is needed there, the channel subgraph owns the rest and vouches, in the reference,
 * for the access row it read in this request (their fields check access on it; access-grant.ts).
 */
export async function resolveChannelReference(ref: { id: string; accessGrant?: unknown }, ctx: { access: ChannelAccess }): Promise<{ id: string }> {
  await ctx.access.acceptGrant(ref.id, ref.accessGrant);
  return { id: ref.id };
}
