import type { Logger } from '@gic/shared/logging/logger.js';
import { type RoomCredentialList, roomCredentialListSchema } from '@gic/shared/people/room-credentials.js';
import type { RoomCredentialsStore } from '../operators/room-credentials-store.js';
import type { HubClient } from './hub-client.js';

export const ROOM_CREDENTIALS_PATH = '/api/v1/devices/me/room-credentials';

/**
 * Keeps the box's copy of the in-room credentials current: fetched at start and then every
 * `intervalMs` with the device's own token, sending the version held (If-None-Match) so that an
 * unchanged list costs a 304. Polling, not a push: it needs no new MQTT message, survives a missed
 * one, and a revocation reaches every box within one interval. With the hub unreachable the last copy
 * stays in use.
 */
export class RoomCredentialsSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly hub: Pick<HubClient, 'getIfChanged'>,
    private readonly store: RoomCredentialsStore,
    private readonly log: Logger,
    /** Called after the copy changed (to sign out a person whose credential is gone). */
    private readonly changed: () => void,
  ) {}

  start(intervalMs: number): void {
    void this.syncNow();
    this.timer = setInterval(() => void this.syncNow(), intervalMs);
    this.timer.unref();
  }

  /** One fetch (a fetch already under way is shared); never throws. */
  syncNow(): Promise<void> {
    this.running ??= this.fetchOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async fetchOnce(): Promise<void> {
    try {
      const held = this.store.version;
      const answer = await this.hub.getIfChanged<unknown>(ROOM_CREDENTIALS_PATH, held ? `"${held}"` : null);
      if (!answer) return;
      const parsed = roomCredentialListSchema.safeParse(answer.body);
      if (!parsed.success) {
        this.log.warn(
          { problems: parsed.error.issues.length },
          'room credentials from the hub are malformed: kept the last copy',
        );
        return;
      }
      const list: RoomCredentialList = parsed.data;
      this.store.replace(list);
      this.log.info({ credentials: list.items.length, version: list.version }, 'room credentials synced');
      this.changed();
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'room credentials not synced: the last copy stays');
    }
  }
}
