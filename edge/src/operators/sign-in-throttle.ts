/** How many wrong PINs or badges the screen takes, within what time, and how long it then locks. */
export interface SignInThrottleRule {
  /** Wrong tries within `windowMs` that lock the entry. */
  tries: number;
  windowMs: number;
  /** How long the entry stays locked after the last wrong try (ms). */
  lockMs: number;
}

/** The box's default: 5 wrong in 5 minutes lock the PIN entry for 5 minutes. */
export const DEFAULT_SIGN_IN_THROTTLE: SignInThrottleRule = { tries: 5, windowMs: 300_000, lockMs: 300_000 };

/**
 * The in-room screen's sign-in throttle, one per box (the screen has no other identity to count by).
 * A try counts as wrong from the moment it starts (so tries sent at once cannot slip past the limit)
 * and is taken back when it succeeds, which also clears the count. Kept in memory: a restart clears
 * it, and restarting the box needs hands on it.
 */
export class SignInThrottle {
  private failures: number[] = [];
  private lockedUntil = 0;

  constructor(
    private readonly rule: SignInThrottleRule = DEFAULT_SIGN_IN_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a try: undefined when allowed (it counts as wrong until `succeeded`), else the seconds to wait. */
  begin(): number | undefined {
    const now = this.now();
    if (now < this.lockedUntil) return Math.ceil((this.lockedUntil - now) / 1000);
    this.failures = this.failures.filter((t) => t > now - this.rule.windowMs);
    this.failures.push(now);
    if (this.failures.length >= this.rule.tries) this.lockedUntil = now + this.rule.lockMs;
    return undefined;
  }

  /** The try begun last was right: the count starts again. */
  succeeded(): void {
    this.failures = [];
    this.lockedUntil = 0;
  }

  /** Seconds until the entry unlocks, or 0. */
  get lockedForSeconds(): number {
    return Math.max(0, Math.ceil((this.lockedUntil - this.now()) / 1000));
  }
}
