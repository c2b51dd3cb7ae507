import { useEffect, useState } from 'preact/hooks';
import { errorOf, send } from '../api.js';
import { PinPad } from './pin-pad.js';

interface Settings {
  sensitivity: string;
  minDurationMs: string;
  cooldownMs: string;
}

/** How one may sign in on this box now (GET /api/v1/operators/current). */
interface Methods {
  pin: boolean;
  badge: boolean;
  typedName: boolean;
  lockedForSeconds: number;
}

const settingsUrl = (operator: string) => `/api/v1/operators/${encodeURIComponent(operator)}/alert-settings`;

/**
 * Sign-in at the screen with a PIN or badge issued at the hub (checked by the box, offline; a typed
 * name only where the box allows it), and the signed-in person's alert settings. Signed out, the
 * screen still shows everything live.
 */
export function OperatorPanel({
  operator,
  onChange,
}: {
  operator: string | null;
  onChange: (operator: string | null) => void;
}) {
  const [name, setName] = useState('');
  const [settings, setSettings] = useState<Settings | null>(null);
  const [note, setNote] = useState('');
  const [methods, setMethods] = useState<Methods | null>(null);
  const [padOpen, setPadOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [signInNote, setSignInNote] = useState('');
  const open = Boolean(operator && settings);

  const refresh = async () => {
    const res = await fetch('/api/v1/operators/current');
    if (res.ok) setMethods(((await res.json()) as { signIn: Methods }).signIn);
  };
  useEffect(() => {
    void refresh();
    // Signed out, the ways to sign in follow the box (credentials arrive with its next sync).
    if (operator) return;
    const timer = setInterval(() => void refresh(), 5000);
    return () => clearInterval(timer);
  }, [operator]);

  const signIn = async (e: Event) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    const res = await send('/api/v1/operators/current', { name: trimmed }, 'PUT');
    if (!res.ok) return setSignInNote(await errorOf(res));
    onChange(trimmed);
  };
  const enter = async (entry: { pin: string } | { badge: string }) => {
    setBusy(true);
    try {
      const res = await send('/api/v1/operators/sign-in', entry);
      if (res.ok) {
        const body = (await res.json()) as { name: string };
        setPadOpen(false);
        setSignInNote('');
        onChange(body.name);
      } else if (res.status === 429) {
        setSignInNote(`Locked: too many wrong tries. Try again in ${res.headers.get('retry-after')} s`);
      } else setSignInNote(res.status === 401 ? 'Not recognised: try again' : await errorOf(res));
    } finally {
      setBusy(false);
    }
  };
  const signOut = async () => {
    await send('/api/v1/operators/sign-out', {});
    setSettings(null);
    onChange(null);
  };
  const toggleSettings = async () => {
    if (!operator) return;
    if (open) return setSettings(null);
    const a = (await (await fetch(settingsUrl(operator))).json()) as Record<keyof Settings, number>;
    setSettings({
      sensitivity: String(a.sensitivity),
      minDurationMs: String(a.minDurationMs),
      cooldownMs: String(a.cooldownMs),
    });
    setNote('');
  };
  const save = async (e: Event) => {
    e.preventDefault();
    if (!operator || !settings) return;
    const res = await send(
      settingsUrl(operator),
      {
        sensitivity: Number(settings.sensitivity),
        minDurationMs: Number(settings.minDurationMs),
        cooldownMs: Number(settings.cooldownMs),
      },
      'PUT',
    );
    setNote(res.ok ? 'Saved: alerts follow these now' : `Not saved: ${await errorOf(res)}`);
  };
  const field = (key: keyof Settings) => ({
    value: settings?.[key] ?? '',
    onInput: (e: Event) =>
      setSettings((s) => (s ? { ...s, [key]: (e.currentTarget as HTMLInputElement).value } : s)),
  });
  const show = (visible: boolean) => (visible ? undefined : { display: 'none' });

  return (
    <>
      <form id="signin" autocomplete="off" onSubmit={signIn}>
        <span id="who">{operator ? `Signed in: ${operator}` : 'Not signed in (room settings)'}</span>
        <input
          id="name"
          placeholder="Your name"
          maxLength={100}
          aria-label="endoscopist name"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          style={show(!operator && Boolean(methods?.typedName))}
        />
        <button id="signin-button" type="submit" style={show(!operator && Boolean(methods?.typedName))}>
          Sign in
        </button>
        <button
          id="pin-button"
          type="button"
          onClick={() => {
            setSignInNote('');
            setPadOpen(!padOpen);
          }}
          style={show(!operator && Boolean(methods && (methods.pin || methods.badge)))}
        >
          {padOpen ? 'Close' : 'Sign in with PIN or badge'}
        </button>
        <button id="signout" type="button" onClick={signOut} style={show(Boolean(operator))}>
          Sign out
        </button>
        <button id="settings-button" type="button" onClick={toggleSettings} style={show(Boolean(operator))}>
          Alert settings
        </button>
      </form>
      <span id="signin-note" class="label">
        {signInNote}
      </span>
      {!operator && padOpen && <PinPad badge={Boolean(methods?.badge)} busy={busy} onEntry={enter} />}
      <form id="settings" class={open ? 'show' : ''} aria-label="your alert settings" onSubmit={save}>
        <label for="sensitivity">Sensitivity (min score)</label>
        <input id="sensitivity" type="number" min="0" max="1" step="0.05" {...field('sensitivity')} />
        <label for="min-duration">Seen for at least (ms)</label>
        <input id="min-duration" type="number" min="0" max="10000" step="50" {...field('minDurationMs')} />
        <label for="cooldown">Quiet after (ms)</label>
        <input id="cooldown" type="number" min="0" max="120000" step="500" {...field('cooldownMs')} />
        <span id="settings-note" class="label">
          {note}
        </span>
        <button id="settings-save" type="submit">
          Save
        </button>
      </form>
    </>
  );
}
