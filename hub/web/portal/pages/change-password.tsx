import { useState } from 'preact/hooks';
import { changePassword, describeError, type Session } from '../lib/api.js';

/**
 * Shown instead of the portal while the password is one an admin set: the person chooses their own
 * (at least 12 characters, not built on their name or a common word; the hub says what is wrong).
 */
export function ChangePassword({
  session,
  onChanged,
}: {
  session: Session;
  onChanged: (s: Session) => void;
}) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setError('');
    if (next !== repeat) return setError('The two new passwords differ.');
    try {
      onChanged(await changePassword(session, current, next));
    } catch (err) {
      setError(`Not changed: ${describeError(err)}`);
    }
  };
  return (
    <form id="change-password" class="card" onSubmit={submit}>
      <h2>Choose your own password</h2>
      <p class="muted">An administrator set your password. Choose one of at least 12 characters to go on.</p>
      <label>
        Current password{' '}
        <input
          name="current"
          type="password"
          autocomplete="current-password"
          required
          value={current}
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
      </label>
      <label>
        New password{' '}
        <input
          name="new"
          type="password"
          autocomplete="new-password"
          required
          minLength={12}
          value={next}
          onInput={(e) => setNext(e.currentTarget.value)}
        />
      </label>
      <label>
        New password again{' '}
        <input
          name="repeat"
          type="password"
          autocomplete="new-password"
          required
          value={repeat}
          onInput={(e) => setRepeat(e.currentTarget.value)}
        />
      </label>
      <button type="submit">Change password</button>
      <div id="change-error" role="alert">
        {error}
      </div>
    </form>
  );
}
