import { useState } from 'preact/hooks';
import { describeError, type Session, signIn } from '../lib/api.js';

/** The sign-in form; stays in the page, hidden, once signed in. */
export function SignIn({ hidden, onSignedIn }: { hidden: boolean; onSignedIn: (s: Session) => void }) {
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
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
      <div id="error" role="alert">
        {error}
      </div>
    </form>
  );
}
