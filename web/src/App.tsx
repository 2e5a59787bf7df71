import { ApolloProvider, useQuery } from '@apollo/client/react';
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { connect, type Connection } from './apollo';
import { ChannelView } from './components/ChannelView';
import { Sidebar } from './components/Sidebar';
import { SignIn } from './components/SignIn';
import { MeDocument, type MeQuery } from './gql/graphql';
import { useChannelRoute } from './hooks/useHashRoute';
import { initialSession, saveSession, type Session } from './session';

export type Viewer = NonNullable<MeQuery['me']>;

export function App() {
  const [session, setSession] = useState<Session>(initialSession);
  const [notice, setNotice] = useState<string | null>(null);
  const update = (next: Session, message: string | null = null) => {
    saveSession(next);
    setSession(next);
    setNotice(message);
  };

  if (!session.token) {
    return <SignIn gatewayUrl={session.gatewayUrl} notice={notice} onSignIn={(token, gatewayUrl) => update({ token, gatewayUrl })} />;
  }
  return (
    <SignedIn
      key={`${session.gatewayUrl} ${session.token}`}
      gatewayUrl={session.gatewayUrl}
      token={session.token}
      onSignOut={(message) => update({ ...session, token: null }, message)}
    />
  );
}

function SignedIn({ gatewayUrl, token, onSignOut }: { gatewayUrl: string; token: string; onSignOut: (message: string | null) => void }) {
  const connection = useMemo(() => connect(gatewayUrl, token), [gatewayUrl, token]);
  useEffect(() => () => connection.dispose(), [connection]);
  return (
    <ApolloProvider client={connection.client}>
      <Shell connection={connection} onSignOut={onSignOut} />
    </ApolloProvider>
  );
}

function Shell({ connection, onSignOut }: { connection: Connection; onSignOut: (message: string | null) => void }) {
  const { data, error, loading } = useQuery(MeDocument);
  const [channelId, openChannel] = useChannelRoute();
  const socket = useSyncExternalStore(connection.status.subscribe, connection.status.get);

  useEffect(() => {
    if (!loading && !error && data && !data.me) onSignOut('The gateway did not accept that token.');
  }, [data, error, loading, onSignOut]);

  if (error) {
    const unauthenticated = /401|UNAUTHENTICATED|unauthenticated/i.test(error.message);
    return (
      <div className="center-screen">
        <div className="card">
          <h2>{unauthenticated ? 'Token rejected' : 'Cannot reach the gateway'}</h2>
          <p className="error">{error.message}</p>
          <button onClick={() => onSignOut(null)}>Back to sign-in</button>
        </div>
      </div>
    );
  }
  if (!data?.me) return <div className="center-screen muted">Signing in…</div>;
  const me = data.me;

  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Commons</span>
        <span className={`socket socket-${socket}`} data-testid="socket-state" title="live updates">
          {socket === 'live' ? 'live' : socket === 'connecting' ? 'connecting…' : socket === 'offline' ? 'reconnecting…' : 'idle'}
        </span>
        <span className="spacer" />
        <span className="me" data-testid="me">
          {me.displayName} <span className="muted">@{me.handle}</span>
        </span>
        <button className="link" onClick={() => onSignOut(null)}>
          Sign out
        </button>
      </header>
      <Sidebar selectedId={channelId} onOpen={openChannel} />
      <main className="main">
        {channelId ? (
          <ChannelView key={channelId} channelId={channelId} me={me} />
        ) : (
          <div className="center-screen muted">Pick a channel, or create one.</div>
        )}
      </main>
    </div>
  );
}
