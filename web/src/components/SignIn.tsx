import { useState, type FormEvent } from 'react';

/** Takes a development token (from `npm run -s token -- <id> "<Name>"`) and the gateway URL. */
export function SignIn(props: { gatewayUrl: string; notice: string | null; onSignIn: (token: string, gatewayUrl: string) => void }) {
  const [token, setToken] = useState('');
  const [gatewayUrl, setGatewayUrl] = useState(props.gatewayUrl);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const t = token.trim().replace(/^Bearer\s+/i, '');
    if (t) props.onSignIn(t, gatewayUrl.trim());
  };
  return (
    <div className="center-screen">
      <form className="card signin" onSubmit={submit}>
        <h1>Commons</h1>
        <p className="muted">Sign in with a development token:</p>
        <pre className="hint">npm run -s token -- alice "Alice Liddell"</pre>
        {props.notice && <p className="error">{props.notice}</p>}
        <label>
          Token
          <textarea value={token} onChange={(e) => setToken(e.target.value)} rows={4} placeholder="eyJhbGciOi…" autoFocus />
        </label>
        <label>
          Gateway
          <input value={gatewayUrl} onChange={(e) => setGatewayUrl(e.target.value)} />
        </label>
        <button type="submit" disabled={!token.trim()}>
          Sign in
        </button>
      </form>
    </div>
  );
}
