import { useMutation, useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import {
  CreateChannelDocument,
  DiscoverChannelsDocument,
  JoinChannelDocument,
  JoinedChannelsDocument,
  type ChannelSummaryFragment,
} from '../gql/graphql';

const POLL_MS = 30_000;

/** The caller's channels, a form to create one, and public channels to join. */
export function Sidebar({ selectedId, onOpen }: { selectedId: string | null; onOpen: (id: string) => void }) {
  // Polled: there is no subscription for new channels or member counts.
  const mine = useQuery(JoinedChannelsDocument, { fetchPolicy: 'cache-and-network', pollInterval: POLL_MS });
  const others = useQuery(DiscoverChannelsDocument, { fetchPolicy: 'cache-and-network', pollInterval: POLL_MS });
  const [join, joining] = useMutation(JoinChannelDocument);
  const joined = mine.data?.channels.edges.map((e) => e.node) ?? [];
  const discover = others.data?.channels.edges.map((e) => e.node) ?? [];
  const refetch = () => Promise.all([mine.refetch(), others.refetch()]);
  const error = mine.error ?? others.error;

  const joinAndOpen = async (id: string) => {
    const joinedOk = await join({ variables: { channelId: id } }).then(() => true, () => false);
    if (!joinedOk) return;
    await refetch();
    onOpen(id);
  };

  return (
    <nav className="sidebar">
      <h3>Your channels</h3>
      {error && <p className="error">{error.message}</p>}
      <ul className="channels" data-testid="joined-channels">
        {joined.map((c) => (
          <li key={c.id}>
            <button className={c.id === selectedId ? 'channel selected' : 'channel'} onClick={() => onOpen(c.id)}>
              <ChannelName channel={c} />
            </button>
          </li>
        ))}
        {mine.data && joined.length === 0 && <li className="muted small">None yet.</li>}
      </ul>
      <CreateChannel
        onCreated={async (id) => {
          await refetch();
          onOpen(id);
        }}
      />
      <h3>Discover</h3>
      {joining.error && <p className="error">{joining.error.message}</p>}
      <ul className="channels" data-testid="discover-channels">
        {discover.map((c) => (
          <li key={c.id} className="discover">
            <button className="channel" onClick={() => onOpen(c.id)}>
              <ChannelName channel={c} />
              <span className="muted small">{c.memberCount} members</span>
            </button>
            <button className="small" disabled={joining.loading} onClick={() => joinAndOpen(c.id)} aria-label={`Join ${c.name}`}>
              Join
            </button>
          </li>
        ))}
        {others.data && discover.length === 0 && <li className="muted small">Nothing new.</li>}
      </ul>
    </nav>
  );
}

const KIND_MARK = { TEXT: '#', VOICE: '🔊', FORUM: '☰' } as const;

export function ChannelName({ channel }: { channel: Pick<ChannelSummaryFragment, 'name' | 'kind' | 'visibility'> }) {
  return (
    <span className="channel-name">
      <span className="kind">{KIND_MARK[channel.kind]}</span>
      {channel.name}
      {channel.visibility === 'PRIVATE' && <span title="private"> 🔒</span>}
    </span>
  );
}

function CreateChannel({ onCreated }: { onCreated: (id: string) => void }) {
  const [name, setName] = useState('');
  const [isPrivate, setPrivate] = useState(false);
  const [create, { loading, error }] = useMutation(CreateChannelDocument);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    const { data } = await create({
      variables: { input: { name: name.trim(), kind: 'TEXT', visibility: isPrivate ? 'PRIVATE' : 'PUBLIC' } },
    }).catch(() => ({ data: undefined }));
    if (data) {
      setName('');
      onCreated(data.createChannel.id);
    }
  };
  return (
    <form className="create" onSubmit={submit}>
      <input value={name} onChange={(e) => setName(e.target.value)} placeholder="new-channel" maxLength={80} aria-label="New channel name" />
      <label className="small">
        <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} /> private
      </label>
      <button type="submit" disabled={loading || !name.trim()}>
        Create
      </button>
      {error && <p className="error">{error.message}</p>}
    </form>
  );
}
