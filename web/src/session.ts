// Where the app finds its token and its gateway: `?token=` and `?gateway=` in the URL (for
// links and tests; taken out of the address bar once read), then what this browser remembered.

const TOKEN_KEY = 'commons.token';
const GATEWAY_KEY = 'commons.gateway';

export interface Session {
  token: string | null;
  gatewayUrl: string;
}

/** The gateway a build points at when nothing else says: VITE_GATEWAY_URL, else port 4000 of this host. */
export function defaultGatewayUrl(): string {
  return import.meta.env.VITE_GATEWAY_URL || `${location.protocol}//${location.hostname}:4000/graphql`;
}

/** Reads the URL parameters once (remembering them) and returns the session to start with. */
export function initialSession(): Session {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  const gateway = url.searchParams.get('gateway');
  if (token) localStorage.setItem(TOKEN_KEY, token);
  if (gateway) localStorage.setItem(GATEWAY_KEY, gateway);
  if (token || gateway) {
    url.searchParams.delete('token');
    url.searchParams.delete('gateway');
    history.replaceState(null, '', url);
  }
  return {
    token: localStorage.getItem(TOKEN_KEY),
    gatewayUrl: localStorage.getItem(GATEWAY_KEY) || defaultGatewayUrl(),
  };
}

export function saveSession(session: Session): void {
  if (session.token) localStorage.setItem(TOKEN_KEY, session.token);
  else localStorage.removeItem(TOKEN_KEY);
  localStorage.setItem(GATEWAY_KEY, session.gatewayUrl);
}

/** A unique idempotency key for sendMessage (crypto.randomUUID needs a secure context). */
export function newClientId(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}
