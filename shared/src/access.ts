import DataLoader from 'dataloader';
import type { Viewer } from './auth';
import { forbidden, notFound, unauthenticated } from './errors';
import type { PrismaClient } from './generated/prisma/client';
import type { ChannelKind, ChannelVisibility, MemberRole } from './generated/prisma/enums';
import { isUuid } from './ids';

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
  private readonly channels: DataLoader<string, ChannelAccessRow | null>;
  private readonly roles: DataLoader<string, MemberRole | null>;

  constructor(
    prisma: PrismaClient,
    readonly viewer: Viewer | null,
  ) {
    this.channels = new DataLoader(async (ids) => {
      const rows = await prisma.channel.findMany({
        where: { id: { in: ids.filter(isUuid) } },
        select: { id: true, kind: true, visibility: true, archivedAt: true },
      });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    });
    this.roles = new DataLoader(async (channelIds) => {
      if (!viewer) return channelIds.map(() => null);
      const rows = await prisma.membership.findMany({
        where: { userId: viewer.id, channelId: { in: channelIds.filter(isUuid) } },
        select: { channelId: true, role: true },
      });
      const byId = new Map(rows.map((r) => [r.channelId, r.role]));
      return channelIds.map((id) => byId.get(id) ?? null);
    });
  }

  /** Forget what this request has read, after it changed membership itself. */
  clear(channelId: string): void {
    this.channels.clear(channelId);
    this.roles.clear(channelId);
  }

  channel(channelId: string): Promise<ChannelAccessRow | null> {
    return isUuid(channelId) ? this.channels.load(channelId) : Promise.resolve(null);
  }

  role(channelId: string): Promise<MemberRole | null> {
    return isUuid(channelId) ? this.roles.load(channelId) : Promise.resolve(null);
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
