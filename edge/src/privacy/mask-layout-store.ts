import { type LayoutBox, layoutBoxSchema, MAX_LAYOUT_BOXES } from '@gic/shared/messages/events.js';
import { z } from 'zod';
import type { Outbox } from '../outbox/outbox.js';
import type { EdgeDatabase } from '../store/edge-database.js';

const storedSchema = z.array(layoutBoxSchema).max(MAX_LAYOUT_BOXES);

/**
 * The device's mask layout in SQLite: each change is written with its outbox event in one
 * transaction, so the hub's copy (part of the device's record) always catches up.
 */
export class MaskLayoutStore {
  constructor(
    private readonly db: EdgeDatabase,
    private readonly outbox: Outbox,
  ) {}

  /** The stored layout; empty on a new box (or, failing closed on nothing, one whose row is unreadable). */
  load(): LayoutBox[] {
    const row = this.db.prepare('SELECT boxes FROM mask_layout WHERE id = 1').get() as
      | { boxes: string }
      | undefined;
    if (!row) return [];
    const parsed = storedSchema.safeParse(JSON.parse(row.boxes));
    return parsed.success ? parsed.data : [];
  }

  save(boxes: LayoutBox[], change: 'learned' | 'edited', by: string | null): void {
    const at = new Date().toISOString();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO mask_layout (id, boxes, change, changed_by, changed_at) VALUES (1, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET boxes = excluded.boxes, change = excluded.change,
             changed_by = excluded.changed_by, changed_at = excluded.changed_at`,
        )
        .run(JSON.stringify(boxes), change, by, at);
      this.outbox.append({ type: 'device.mask-layout', procedureId: null, body: { boxes, change, by } });
    })();
  }
}
