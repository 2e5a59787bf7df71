// Typing indicators: who else is typing in a channel (each shown for a few seconds after their
// latest event), and a throttled `sendTyping` for the composer.
import { useMutation } from '@apollo/client/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { SendTypingDocument, TypingDocument } from '../gql/graphql';
import { useLiveSubscription } from './useLiveSubscription';

/** The server sends at most one event per 3 s per person: shown this long after the latest. */
const SHOW_FOR_MS = 5_000;
const SEND_EVERY_MS = 3_000;

export function useTyping(channelId: string, meId: string) {
  const [typists, setTypists] = useState<Map<string, { name: string; until: number }>>(new Map());

  useLiveSubscription(TypingDocument, {
    key: channelId,
    variables: () => ({ channelId }),
    onData: ({ typing }) => {
      if (typing.user.id === meId) return;
      setTypists((m) => new Map(m).set(typing.user.id, { name: typing.user.displayName, until: Date.now() + SHOW_FOR_MS }));
    },
  });

  // Expire entries while there are any.
  useEffect(() => {
    if (typists.size === 0) return;
    const next = Math.min(...[...typists.values()].map((t) => t.until));
    const timer = setTimeout(() => setTypists((m) => new Map([...m].filter(([, t]) => t.until > Date.now()))), Math.max(0, next - Date.now()) + 50);
    return () => clearTimeout(timer);
  }, [typists]);

  /** A message from someone ends their typing. */
  const stopped = useCallback((userId: string) => {
    setTypists((m) => {
      if (!m.has(userId)) return m;
      const copy = new Map(m);
      copy.delete(userId);
      return copy;
    });
  }, []);

  const [send] = useMutation(SendTypingDocument);
  const lastSent = useRef(0);
  const typing = useCallback(() => {
    if (Date.now() - lastSent.current < SEND_EVERY_MS) return;
    lastSent.current = Date.now();
    void send({ variables: { channelId } }).catch(() => {});
  }, [send, channelId]);

  return { names: [...typists.values()].map((t) => t.name), typing, stopped };
}

/** "Bob is typing…", "Bob and Carol are typing…", "Several people are typing…". */
export function typingText(names: string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'Several people are typing…';
}
