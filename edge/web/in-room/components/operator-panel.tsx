import { useState } from 'preact/hooks';
import { errorOf, send } from '../api.js';

interface Settings {
  sensitivity: string;
  minDurationMs: string;
  cooldownMs: string;
}

const settingsUrl = (operator: string) => `/api/v1/operators/${encodeURIComponent(operator)}/alert-settings`;

/**
 * Sign-in of the endoscopist at the screen (their own alert settings apply while signed in), and
 * those settings, read and saved through the box's API.
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
  const open = Boolean(operator && settings);

  const signIn = async (e: Event) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    await send('/api/v1/operators/current', { name: trimmed }, 'PUT');
    onChange(trimmed);
  };
  const signOut = async () => {
    await send('/api/v1/operators/current', { name: null }, 'PUT');
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
          style={show(!operator)}
        />
        <button id="signin-button" type="submit" style={show(!operator)}>
          Sign in
        </button>
        <button id="signout" type="button" onClick={signOut} style={show(Boolean(operator))}>
          Sign out
        </button>
        <button id="settings-button" type="button" onClick={toggleSettings} style={show(Boolean(operator))}>
          Alert settings
        </button>
      </form>
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
