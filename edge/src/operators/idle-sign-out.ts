/**
 * Signs the screen's person out after `idleMs` with nothing done while no procedure is open, so a
 * screen left signed in does not record the next person's actions as theirs. 0: never.
 */
export class IdleSignOut {
  private lastActionAt: number;

  constructor(
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.lastActionAt = now();
  }

  /** A sign-in or an action by the signed-in person. */
  touch(): void {
    this.lastActionAt = this.now();
  }

  /** Whether the person should be signed out now. */
  due(signedIn: boolean, procedureOpen: boolean): boolean {
    if (this.idleMs <= 0 || !signedIn) return false;
    if (procedureOpen) {
      this.touch(); // the idle time counts from the procedure's end
      return false;
    }
    return this.now() - this.lastActionAt >= this.idleMs;
  }
}
