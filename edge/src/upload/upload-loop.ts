import type { Logger } from '@gic/shared/logging/logger.js';
import type { RecordingUploader } from './recording-uploader.js';
import type { RecordingsStore } from './recordings-store.js';

/**
 * Uploads pending recordings one at a time, oldest first, retrying with backoff (1 s doubling to
 * 60 s) while the hub or the network is away. Recordings go after events: a caller kicks it when
 * a recording is sealed, and it also looks every `intervalMs`.
 */
export class UploadLoop {
  private running?: Promise<void>;
  private readonly abort = new AbortController();
  private timer?: NodeJS.Timeout;
  private failures = 0;

  constructor(
    private readonly store: RecordingsStore,
    private readonly uploader: RecordingUploader,
    private readonly log: Logger,
    /** Recordings go last: upload only while this says the event backlog is drained. */
    private readonly ready: () => boolean = () => true,
    private readonly intervalMs = 5000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref();
    this.kick();
  }

  kick(): void {
    if (this.running || this.abort.signal.aborted || !this.ready()) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
    });
  }

  private async run(): Promise<void> {
    for (const recording of this.store.pending()) {
      if (this.abort.signal.aborted) return;
      try {
        await this.uploader.upload(recording.id, this.abort.signal);
        this.failures = 0;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.failures++;
        const delay = Math.min(60_000, 1000 * 2 ** Math.min(this.failures - 1, 6));
        this.log.warn(
          { recordingId: recording.id, err: (err as Error).message, retryInMs: delay },
          'upload failed; will retry',
        );
        await new Promise((r) => setTimeout(r, delay).unref());
        return;
      }
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.abort.abort();
    await this.running?.catch(() => {});
  }
}
