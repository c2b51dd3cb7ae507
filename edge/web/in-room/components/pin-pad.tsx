import { useState } from 'preact/hooks';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'clear', '0', 'ok'] as const;

/**
 * A touch PIN pad (large keys, the digits shown as dots) and a badge field a badge reader types into.
 * Gives the entry to `onEntry`; the box checks it.
 */
export function PinPad({
  badge,
  busy,
  onEntry,
}: {
  /** Whether badges are issued here (the field shows). */
  badge: boolean;
  busy: boolean;
  onEntry: (entry: { pin: string } | { badge: string }) => void;
}) {
  const [pin, setPin] = useState('');
  const [badgeNumber, setBadgeNumber] = useState('');
  const press = (key: (typeof KEYS)[number]) => {
    if (key === 'clear') return setPin('');
    if (key === 'ok') {
      if (pin.length >= 6) onEntry({ pin });
      return setPin('');
    }
    setPin((p) => (p.length < 8 ? p + key : p));
  };
  const submitBadge = (e: Event) => {
    e.preventDefault();
    const value = badgeNumber.trim();
    setBadgeNumber('');
    if (value) onEntry({ badge: value });
  };
  return (
    <section id="pin-pad" aria-label="sign in with your PIN or badge">
      <div id="pin-display" aria-live="polite">
        {pin ? '\u25CF'.repeat(pin.length) : 'Enter your PIN'}
      </div>
      <div class="pin-keys">
        {KEYS.map((key) => (
          <button
            type="button"
            key={key}
            class={`pin-key${key === 'ok' ? ' primary' : ''}`}
            data-key={key}
            disabled={busy || (key === 'ok' && pin.length < 6)}
            onClick={() => press(key)}
          >
            {key === 'clear' ? 'Clear' : key === 'ok' ? 'OK' : key}
          </button>
        ))}
      </div>
      {badge && (
        <form id="badge-form" autocomplete="off" onSubmit={submitBadge}>
          <input
            id="badge"
            type="password"
            placeholder="or scan your badge"
            aria-label="badge number"
            maxLength={64}
            value={badgeNumber}
            onInput={(e) => setBadgeNumber(e.currentTarget.value)}
          />
        </form>
      )}
    </section>
  );
}
