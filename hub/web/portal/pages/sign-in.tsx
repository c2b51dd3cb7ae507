import { useEffect, useState } from 'preact/hooks';
import {
  describeError,
  exchangeSsoCode,
  type Session,
  type SsoConfig,
  signIn,
  ssoConfig,
  takeSsoCode,
} from '../lib/api.js';

/** The sign-in form; stays in the page, hidden, once signed in. */
export function SignIn({ hidden, onSignedIn }: { hidden: boolean; onSignedIn: (s: Session) => void }) {
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [sso, setSso] = useState<SsoConfig>({ enabled: false });
  useEffect(() => {
    void ssoConfig().then(setSso);
    // Back from the identity provider: trade the hub's one-time code for a session.
    const code = takeSsoCode();
    if (code)
      exchangeSsoCode(code).then(onSignedIn, (err: unknown) =>
        setError(`Single sign-on failed: ${describeError(err)}`),
      );
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError('');
    try {
      onSignedIn(await signIn(username, password));
      setPassword('');
    } catch (err) {
      setError(`Sign-in failed: ${describeError(err)}`);
    }
  };
  return (
    <form id="login" class="card" hidden={hidden} onSubmit={submit}>
      <h2>Sign in</h2>
      <label>
        Username{' '}
        <input
          name="username"
          autocomplete="username"
          required
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
      </label>
      <label>
        Password{' '}
        <input
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      <button type="submit">Sign in</button>
      {sso.enabled && sso.startUrl && (
        <p id="sso">
          {/* A link, not a fetch: the browser goes to the provider and comes back. */}
          <a class="button" href={sso.startUrl}>
            Sign in with {sso.providerName ?? 'single sign-on'}
          </a>
        </p>
      )}
      <div id="error" role="alert">
        {error}
      </div>
    </form>
  );
}
