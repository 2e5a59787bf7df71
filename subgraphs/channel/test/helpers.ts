import { randomUUID } from 'node:crypto';
import type { Viewer } from '@commons/shared';
import type { GraphQLResponse } from '../../../tests/testkit/subgraph';

/** A fresh viewer per test, so tests never share rows. */
export const newViewer = (name = 'Test User', handle?: string): Viewer => ({ id: `user-${randomUUID()}`, name, handle });

/** The response's single error code; fails loudly with the body otherwise. */
export function errorCode(res: GraphQLResponse): string {
  if (!res.errors?.length) throw new Error(`Expected an error, got ${JSON.stringify(res)}`);
  return res.errors[0].extensions?.code;
}

export const CHANNEL_FIELDS = 'id name topic kind visibility createdAt archivedAt memberCount';
export const MEMBERSHIP_FIELDS = 'role joinedAt user { id handle displayName } channel { id memberCount }';

export const CREATE_CHANNEL = `mutation($input: CreateChannelInput!) { createChannel(input: $input) { ${CHANNEL_FIELDS} } }`;
export const JOIN = `mutation($id: ID!) { joinChannel(channelId: $id) { ${MEMBERSHIP_FIELDS} } }`;
export const LEAVE = `mutation($id: ID!) { leaveChannel(channelId: $id) }`;
export const INVITE = `mutation($c: ID!, $u: ID!) { inviteMember(channelId: $c, userId: $u) { ${MEMBERSHIP_FIELDS} } }`;
export const SET_ROLE = `mutation($c: ID!, $u: ID!, $r: MemberRole!) { setMemberRole(channelId: $c, userId: $u, role: $r) { role user { id } } }`;
export const REMOVE = `mutation($c: ID!, $u: ID!) { removeMember(channelId: $c, userId: $u) }`;
export const CHANNEL = `query($id: ID!) { channel(id: $id) { ${CHANNEL_FIELDS} viewerMembership { role } } }`;

type Subgraph = Awaited<ReturnType<typeof import('../../../tests/testkit/subgraph').startSubgraph>>;

/** Data builders over the real API, so every test makes the rows it reads. */
export function builders(sg: Subgraph) {
  return {
    async createChannel(owner: Viewer, input: Record<string, unknown> = {}): Promise<{ id: string; [k: string]: any }> {
      const data = await sg.expectData(owner, CREATE_CHANNEL, { input: { name: 'general', kind: 'TEXT', ...input } });
      return data.createChannel;
    },
    async join(viewer: Viewer, channelId: string) {
      return (await sg.expectData(viewer, JOIN, { id: channelId })).joinChannel;
    },
    /** A channel owned by `owner` with `viewer` in it under `role`. */
    async withMember(owner: Viewer, viewer: Viewer, role: 'OWNER' | 'ADMIN' | 'MEMBER', input: Record<string, unknown> = {}) {
      const channel = await this.createChannel(owner, input);
      await sg.expectData(owner, INVITE, { c: channel.id, u: await this.userId(viewer) });
      if (role !== 'MEMBER') await sg.expectData(owner, SET_ROLE, { c: channel.id, u: viewer.id, r: role });
      return channel;
    },
    /** Makes sure the viewer's users row exists (first sight), returning their id. */
    async userId(viewer: Viewer): Promise<string> {
      return (await sg.expectData(viewer, '{ me { id } }')).me.id;
    },
  };
}
