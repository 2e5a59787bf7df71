import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { useCallback, useMemo, useRef, useState } from 'react';
import type { Viewer } from '../App';
import { appendMessage } from '../cache';
import {
  ChannelHistoryDocument,
  DiscoverChannelsDocument,
  JoinChannelDocument,
  JoinedChannelsDocument,
  MessageAddedDocument,
  MessageUpdatedDocument,
  SendMessageDocument,
} from '../gql/graphql';
import { useLiveSubscription } from '../hooks/useLiveSubscription';
import { typingText, useTyping } from '../hooks/useTyping';
import { newClientId } from '../session';
import { Composer } from './Composer';
import { MessageList, type PendingMessage } from './MessageList';
import { ChannelName } from './Sidebar';

export const PAGE_SIZE = 50;

/**
 * One channel: its history (older pages load as you scroll up), new messages, edits and
 * reactions live, who is typing, and a composer. A sent message shows at once as pending, with
 * its clientId, until it arrives on the live stream: so the list is always in the server's
 * order, and a retry of a failed send reuses the clientId and cannot duplicate it.
 */
export function ChannelView({ channelId, me }: { channelId: string; me: Viewer }) {
  const client = useApolloClient();
  const variables = { id: channelId, last: PAGE_SIZE };
  const { data, error, loading, fetchMore } = useQuery(ChannelHistoryDocument, { variables, fetchPolicy: 'cache-and-network' });
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [pending, setPending] = useState<PendingMessage[]>([]);
  const [send] = useMutation(SendMessageDocument);
  const [join, joining] = useMutation(JoinChannelDocument, { refetchQueries: [JoinedChannelsDocument, DiscoverChannelsDocument] });

  const channel = data?.channel;
  const edges = channel?.messages.edges ?? [];
  // Latched: later fetches (older pages) set `loading` again, and must not restart the stream.
  const [historyLoaded, setHistoryLoaded] = useState(false);
  if (!historyLoaded && !loading && channel) setHistoryLoaded(true);

  /** The newest cursor the cache has: where a (re)subscription picks up. */
  const newestCursor = useCallback(() => {
    const cached = client.readQuery({ query: ChannelHistoryDocument, variables: { id: channelId, last: PAGE_SIZE } });
    return cached?.channel?.messages.edges.at(-1)?.cursor ?? null;
  }, [client, channelId]);

  const typing = useTyping(channelId, me.id);

  const live = useLiveSubscription(MessageAddedDocument, {
    key: channelId,
    // Subscribe once the history is in: then `after` is its newest message and nothing falls between.
    skip: !historyLoaded,
    variables: () => ({ channelId, after: newestCursor() }),
    onData: ({ messageAdded }) => {
      const hadCursor = newestCursor() !== null;
      appendMessage(client.cache, channelId, messageAdded);
      typing.stopped(messageAdded.author.id);
      // An empty channel gives no cursor to resume from: a message sent before this
      // subscription started would be missed, so read the latest page once it is surely live.
      if (!hadCursor) void client.query({ query: ChannelHistoryDocument, variables, fetchPolicy: 'network-only' });
    },
  });

  // Edits, deletes and reactions: Apollo writes each event to the cache, where the message
  // (normalised by id) changes in place.
  useLiveSubscription(MessageUpdatedDocument, { key: channelId, skip: !historyLoaded, variables: () => ({ channelId }), onData: () => {} });

  const confirmedClientIds = useMemo(
    () => new Set(edges.filter((e) => e.node.author.id === me.id && e.node.clientId).map((e) => e.node.clientId)),
    [edges, me.id],
  );
  const shownPending = pending.filter((p) => !confirmedClientIds.has(p.clientId));

  const sendBody = async (body: string, clientId = newClientId()) => {
    setPending((list) => [...list.filter((p) => p.clientId !== clientId), { clientId, body, state: 'sending' }]);
    const mark = (state: PendingMessage['state']) => setPending((list) => list.map((p) => (p.clientId === clientId ? { ...p, state } : p)));
    try {
      await send({ variables: { input: { channelId, body, clientId } } });
      mark('sent');
    } catch {
      mark('failed');
    }
  };

  const olderInFlight = useRef(false);
  const loadOlder = useCallback(async () => {
    const start = channel?.messages.pageInfo.startCursor;
    if (olderInFlight.current || !start || !channel?.messages.pageInfo.hasPreviousPage) return;
    olderInFlight.current = true;
    setLoadingOlder(true);
    try {
      await fetchMore({ variables: { before: start } });
    } catch {
      // The sentinel asks again when it next comes into view.
    } finally {
      olderInFlight.current = false;
      setLoadingOlder(false);
    }
  }, [channel?.messages.pageInfo.startCursor, channel?.messages.pageInfo.hasPreviousPage, fetchMore]);

  if (error && !channel) return <div className="center-screen error">{error.message}</div>;
  if (!channel) return <div className="center-screen muted">{loading ? 'Loading…' : 'Channel not found.'}</div>;
  const member = channel.viewerMembership !== null;

  return (
    <section className="channel-view" data-testid="channel-view">
      <header className="channel-header">
        <h2>
          <ChannelName channel={channel} />
        </h2>
        {channel.topic && <span className="muted">{channel.topic}</span>}
        <span className="spacer" />
        <span className="muted small">
          {channel.memberCount} {channel.memberCount === 1 ? 'member' : 'members'}
        </span>
        {live === 'retrying' && <span className="warn small">reconnecting…</span>}
        {live === 'stopped' && <span className="error small">live updates stopped</span>}
      </header>
      <MessageList
        edges={edges}
        pending={shownPending}
        me={me}
        canReact={member && channel.archivedAt === null}
        hasOlder={channel.messages.pageInfo.hasPreviousPage}
        loadingOlder={loadingOlder}
        onLoadOlder={loadOlder}
        onRetry={(p) => sendBody(p.body, p.clientId)}
      />
      <div className="typing muted" data-testid="typing" aria-live="polite">
        {typingText(typing.names)}
      </div>
      {member ? (
        <Composer
          disabled={channel.archivedAt !== null}
          placeholder={`Message #${channel.name}`}
          onSend={(body) => sendBody(body)}
          onTyping={typing.typing}
        />
      ) : (
        <div className="composer join-bar">
          <span className="muted">You are reading #{channel.name} as a guest.</span>
          <button disabled={joining.loading} onClick={() => join({ variables: { channelId } }).catch(() => {})}>
            Join #{channel.name}
          </button>
          {joining.error && <span className="error small">{joining.error.message}</span>}
        </div>
      )}
    </section>
  );
}
