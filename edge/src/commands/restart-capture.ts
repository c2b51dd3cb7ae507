import type { DeviceCommand } from '@gic/shared/messages/commands.js';

export interface RestartCaptureDeps {
  restart: (reason: string) => Promise<void>;
  source: () => { state: string; message?: string };
}

/** How long a rebuilt pipeline may take to deliver frames again before the command fails (ms). */
const LIVE_AGAIN_MS = 20_000;

/**
 * Rebuilds the capture pipeline (the current run ends with its segments closed; a new one starts at
 * once) and waits for the source to be live again; fails with the source's state if it is not.
 */
export async function restartCapture(
  deps: RestartCaptureDeps,
  command: DeviceCommand,
  liveAgainMs = LIVE_AGAIN_MS,
): Promise<Record<string, unknown>> {
  const started = Date.now();
  await deps.restart(`remote command ${command.id} by ${command.issuedBy}`);
  // The old run reads `live` until the new one reports: give it a moment to say otherwise.
  await new Promise((r) => setTimeout(r, 200));
  while (deps.source().state !== 'live') {
    if (Date.now() - started > liveAgainMs) {
      const s = deps.source();
      throw new Error(`the source is ${s.state} after the restart${s.message ? `: ${s.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { restarted: true, liveAgainMs: Date.now() - started, source: deps.source().state };
}
