import { ChannelAccess, createAccessGrants, createForwardedUserSigner, GRANT_TTL_S } from '@commons/shared';
import { SignJWT } from 'jose';
import { countStatements, createChannel, createUser } from '../../tests/testkit/builders';
import { createTestDeps } from '../../tests/testkit/subgraph';

// Channel access grants (access-grant.ts): the channel subgraph's signed word about the access
// row it read, which the other subgraphs check access on instead of reading it again. Only a
// grant for this caller and this channel, signed with this secret and unexpired, counts; anything
// else is ignored and the row is read, so a bad grant can cost a statement but never widen access.

const SECRET = 'grant-test-secret-0123456789-abcdefghijklmnop';
const grants = createAccessGrants(SECRET);

let t: Awaited<ReturnType<typeof createTestDeps>>;
const statements = { count: 0 };
beforeAll(async () => {
  t = await createTestDeps('access_grants');
  countStatements(t.deps.prisma, statements);
});
afterAll(() => t?.close());
const prisma = () => t.deps.prisma;

/** A private channel with `owner` as its one member, and the grant the owner's request would get. */
async function privateChannel() {
  const [owner, outsider] = [await createUser(prisma()), await createUser(prisma())];
  const channelId = await createChannel(prisma(), { visibility: 'PRIVATE', members: [owner] });
  const grant = await new ChannelAccess(prisma(), owner, grants).grant(channelId);
  return { owner, outsider, channelId, grant: grant! };
}

test('a grant carries the access row and membership the channel subgraph read, for its caller and channel only', async () => {
  const { owner, outsider, channelId, grant } = await privateChannel();
  const read = await grants.verify(grant, channelId, owner.id);
  const row = await prisma().channel.findUniqueOrThrow({ where: { id: channelId } });
  const membership = await prisma().membership.findUniqueOrThrow({ where: { channelId_userId: { channelId, userId: owner.id } } });
  expect(read).toEqual({
    channel: { id: channelId, kind: row.kind, visibility: 'PRIVATE', archivedAt: null },
    membership: { channelId, userId: owner.id, role: membership.role, joinedAt: membership.joinedAt },
  });
  expect(await grants.verify(grant, channelId, outsider.id)).toBeNull();
  expect(await grants.verify(grant, await createChannel(prisma()), owner.id)).toBeNull();
});

test('forged, tampered, expired, foreign and oversized grants vouch for nothing', async () => {
  const { owner, channelId, grant } = await privateChannel();
  const [header, payload, signature] = grant.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, vis: 'PUBLIC' })).toString('base64url')}.${signature}`;
  const otherSecret = await new ChannelAccess(prisma(), owner, createAccessGrants('another-secret-0123456789-abcdefghijklmnop')).grant(channelId);
  const expired = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(owner.id)
    .setAudience('commons-channel-access')
    .setIssuedAt(Math.floor(Date.now() / 1000) - GRANT_TTL_S - 60)
    .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
    .sign(new TextEncoder().encode(SECRET));
  // The gateway's forwarded-user token is signed with the same secret, for another audience.
  const forwardedUser = await createForwardedUserSigner(SECRET)(owner);
  for (const bad of [tampered, otherSecret, expired, forwardedUser, 'not a token', '', 42, null, { grant }, grant + 'x'.repeat(2000)]) {
    expect(await grants.verify(bad, channelId, owner.id)).toBeNull();
  }
});

test('an accepted grant spares the read; a bad one is ignored and the row decides', async () => {
  const { owner, outsider, channelId, grant } = await privateChannel();

  const trusted = new ChannelAccess(prisma(), owner, grants);
  await trusted.acceptGrant(channelId, grant);
  statements.count = 0;
  expect(await trusted.requireMember(channelId)).toMatchObject({ role: 'MEMBER' });
  expect(statements.count).toBe(0);

  // The owner's grant, presented by someone else: read, and refused.
  const stolen = new ChannelAccess(prisma(), outsider, grants);
  await stolen.acceptGrant(channelId, grant);
  statements.count = 0;
  expect(await stolen.canRead(channelId)).toBe(false);
  expect(statements.count).toBe(1);

  // Without grants (no secret given), a grant is not even looked at.
  const plain = new ChannelAccess(prisma(), owner);
  await plain.acceptGrant(channelId, grant);
  expect(await plain.grant(channelId)).toBeNull();
  statements.count = 0;
  expect(await plain.canRead(channelId)).toBe(true);
  expect(statements.count).toBe(1);
});

test('no grant for a caller who may not read the channel, nor for no caller', async () => {
  const { outsider, channelId } = await privateChannel();
  expect(await new ChannelAccess(prisma(), outsider, grants).grant(channelId)).toBeNull();
  expect(await new ChannelAccess(prisma(), null, grants).grant(channelId)).toBeNull();
});
