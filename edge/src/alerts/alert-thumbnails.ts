import { findingThumbnail } from '@gic/shared/analysis/finding-thumbnail.js';
import type { PrivacyMask } from '@gic/shared/analysis/privacy/privacy-mask.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import type { EdgeDatabase } from '../store/edge-database.js';
import type { Alert } from './alert-tracker.js';

/**
 * Thumbnails of findings for the in-room screen: the frame an alert was raised on, with the same
 * privacy mask the recording has there burned out before encoding (outside the picture, layout, text,
 * faces; shared/analysis/privacy), so no patient identity is ever stored in one. Made off the live
 * path; a failure only loses the picture.
 */
export class AlertThumbnails {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly db: EdgeDatabase,
    private readonly log: Logger,
  ) {}

  /** Starts making the thumbnail; the alert's row must exist (it is written when the alert is raised). */
  create(alert: Alert, frame: RgbFrame, analysis: FrameAnalysis, mask: PrivacyMask): void {
    const work = findingThumbnail(frame, analysis, mask, alert.box)
      .then((jpeg) => {
        this.db
          .prepare('INSERT OR REPLACE INTO alert_thumbnails (alert_id, jpeg, created_at) VALUES (?, ?, ?)')
          .run(alert.id, jpeg, new Date().toISOString());
      })
      .catch((err: Error) => this.log.warn({ alertId: alert.id, err: err.message }, 'no thumbnail for alert'))
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  get(alertId: string): Buffer | undefined {
    const row = this.db.prepare('SELECT jpeg FROM alert_thumbnails WHERE alert_id = ?').get(alertId) as
      | { jpeg: Buffer }
      | undefined;
    return row?.jpeg;
  }

  /** Waits for thumbnails still being made (before the store closes). */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
