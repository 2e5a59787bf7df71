import { useEffect, useLayoutEffect, useRef } from 'react';
import type { Viewer } from '../App';
import type { MessageItemFragment } from '../gql/graphql';
import { Reactions } from './Reactions';

export interface PendingMessage {
  clientId: string;
  body: string;
  state: 'sending' | 'sent' | 'failed';
}

const NEAR_BOTTOM_PX = 80;
const GROUP_WINDOW_MS = 5 * 60_000;

/**
 * The history, oldest first. Scrolling to the top loads older pages (keeping the view where it
 * was); new messages scroll into view when the reader is at the bottom, and wait otherwise.
 */
export function MessageList(props: {
  edges: { cursor: string; node: MessageItemFragment }[];
  pending: PendingMessage[];
  me: Viewer;
  canReact: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  onRetry: (p: PendingMessage) => void;
}) {
  const { edges, pending, me } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const before = useRef({ firstId: undefined as string | undefined, pending: 0, scrollHeight: 0, atBottom: true });

  const firstId = edges[0]?.node.id;

  // Keep the reader's place: after older messages went in above, shift by their height; when
  // the list grew below (new messages, reactions), follow it if the reader was at the bottom,
  // or if they just sent something.
  // Runs after every render: measuring is cheap, and any change can move the content.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const was = before.current;
    if (was.firstId !== undefined && firstId !== was.firstId && !was.atBottom) {
      el.scrollTop += el.scrollHeight - was.scrollHeight;
    } else if (was.atBottom || pending.length > was.pending) {
      el.scrollTop = el.scrollHeight;
    }
    before.current = { firstId, pending: pending.length, scrollHeight: el.scrollHeight, atBottom: isAtBottom(el) };
  });

  const onScroll = () => {
    const el = scroller.current;
    if (el) before.current = { ...before.current, scrollHeight: el.scrollHeight, atBottom: isAtBottom(el) };
  };

  const { hasOlder, loadingOlder, onLoadOlder } = props;
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasOlder || loadingOlder) return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && onLoadOlder(), {
      root: scroller.current,
      rootMargin: '200px 0px 0px 0px',
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasOlder, loadingOlder, onLoadOlder, firstId]);

  return (
    <div className="messages" ref={scroller} onScroll={onScroll} data-testid="message-list">
      <div ref={sentinel} className="history-edge muted small">
        {hasOlder ? (loadingOlder ? 'Loading older messages…' : ' ') : 'The beginning of this channel.'}
      </div>
      {edges.map(({ node }, i) => {
        const prev = edges[i - 1]?.node;
        const grouped =
          prev !== undefined && prev.author.id === node.author.id && Date.parse(node.createdAt) - Date.parse(prev.createdAt) < GROUP_WINDOW_MS;
        return <MessageRow key={node.id} message={node} mine={node.author.id === me.id} grouped={grouped} canReact={props.canReact} />;
      })}
      {pending.map((p) => (
        <div key={p.clientId} className={`message mine pending ${p.state}`} data-testid="pending-message">
          <div className="meta">
            <span className="author">{me.displayName}</span>
            <span className="time">{p.state === 'failed' ? 'not sent' : p.state === 'sent' ? 'sent' : 'sending…'}</span>
          </div>
          <div className="body">{p.body}</div>
          {p.state === 'failed' && (
            <button className="link small" onClick={() => props.onRetry(p)}>
              Retry
            </button>
          )}
        </div>
      ))}
    </div>
  );
}

function isAtBottom(el: HTMLElement) {
  return el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function MessageRow(props: { message: MessageItemFragment; mine: boolean; grouped: boolean; canReact: boolean }) {
  const { message, mine, grouped } = props;
  const at = new Date(message.createdAt);
  return (
    <article className={`message${mine ? ' mine' : ''}${grouped ? ' grouped' : ''}`} data-testid="message" data-message-id={message.id}>
      {!grouped && (
        <div className="meta">
          <span className="author">{message.author.displayName}</span>
          <time className="time" dateTime={message.createdAt} title={dayFormat.format(at)}>
            {timeFormat.format(at)}
          </time>
        </div>
      )}
      <div className="body">
        {message.deletedAt ? <em className="muted">message deleted</em> : message.body}
        {message.editedAt && !message.deletedAt && <span className="muted small"> (edited)</span>}
      </div>
      <Reactions messageId={message.id} reactions={message.reactions} canReact={props.canReact && !message.deletedAt} />
    </article>
  );
}
