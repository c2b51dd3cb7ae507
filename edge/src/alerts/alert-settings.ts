import { z } from 'zod';

/** Per-user alert settings: the screen's signed-in endoscopist can tune them. */
export const alertSettingsSchema = z.object({
  /** A detection must score at least this to count (0..1). */
  sensitivity: z.number().min(0).max(1).default(0.6),
  /** A lesion must stay in view this long before it alerts, so single-frame false positives never do (ms). */
  minDurationMs: z.number().int().min(0).max(10_000).default(300),
  /** After an alert ends or is dismissed, the same place does not alert again for this long (ms). */
  cooldownMs: z.number().int().min(0).max(120_000).default(5000),
  /** A lesion briefly hidden (a fold, a flush) keeps its alert for this long without a detection (ms). */
  maxGapMs: z.number().int().min(0).max(10_000).default(500),
  /** Boxes overlapping at least this much (intersection over union) are the same lesion. */
  iouMatch: z.number().min(0.05).max(0.95).default(0.3),
});
export type AlertSettings = z.infer<typeof alertSettingsSchema>;

export const defaultAlertSettings: Readonly<AlertSettings> = Object.freeze(alertSettingsSchema.parse({}));
