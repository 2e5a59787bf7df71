// The open channel lives in the URL hash (`#/channel/<id>`), so a link opens it and the
// browser's back button works.
import { useCallback, useSyncExternalStore } from 'react';

const subscribe = (listener: () => void) => {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
};

export function useChannelRoute(): [string | null, (channelId: string) => void] {
  const hash = useSyncExternalStore(subscribe, () => location.hash);
  const match = /^#\/channel\/([^/]+)$/.exec(hash);
  const open = useCallback((channelId: string) => {
    location.hash = `#/channel/${encodeURIComponent(channelId)}`;
  }, []);
  return [match ? decodeURIComponent(match[1]) : null, open];
}
