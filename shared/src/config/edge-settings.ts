import { resolve } from 'node:path';
import { z } from 'zod';
import { PRIVACY_MODES } from '../analysis/privacy/privacy-mask.js';
import { MAX_FULL_SCAN_INTERVAL_MS } from '../analysis/scan-cadence.js';
import { boxSchema } from '../messages/events.js';
import { logLevelVar, portVar, urlVar } from './env-types.js';

/** Where the edge takes its video from. */
export type SourceConfig =
  | { kind: 'file'; path: string; loop: boolean }
  | { kind: 'test' }
  | { kind: 'v4l2'; device: string }
  | { kind: 'rtsp'; url: string };

function parseSource(value: string, ctx: z.RefinementCtx): SourceConfig {
  if (value === 'test') return { kind: 'test' };
  if (value.startsWith('v4l2:'))
    return { kind: 'v4l2', device: value.slice('v4l2:'.length) || '/dev/video0' };
  if (value.startsWith('rtsp://') || value.startsWith('rtsps://')) return { kind: 'rtsp', url: value };
  const path = value.startsWith('file:') ? value.slice('file:'.length) : value;
  if (!path) ctx.addIssue({ code: 'custom', message: 'must be file:PATH, test, v4l2:DEVICE or rtsp://URL' });
  return { kind: 'file', path: resolve(path), loop: false };
}

const masksVar = z.string().transform((value, ctx) => {
  try {
    return z.array(boxSchema).max(20).parse(JSON.parse(value));
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON array of {x,y,w,h} boxes in 0..1' });
    return z.NEVER;
  }
});

/** `WxH` in pixels, both even (H.264 4:2:0 needs it), e.g. 1280x720. */
const sizeVar = z.string().transform((value, ctx) => {
  const m = /^(\d{2,4})x(\d{2,4})$/.exec(value);
  const [width, height] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (width < 64 || height < 64 || width > 7680 || height > 4320 || width % 2 || height % 2) {
    ctx.addIssue({ code: 'custom', message: 'must be WIDTHxHEIGHT, even numbers from 64x64 to 7680x4320' });
    return z.NEVER;
  }
  return { width, height };
});

/**
 * Parts of the de-identification that can be switched off to measure what each one does (the
 * privacy bench and tests); never in a room. `resolution`: the text detector sees the frame stretched
 * into 512x288 and its boxes are masked as found, not as whole lines; `layout`: no learned layout, and
 * text masked only in the analyses that find it (no holding on); `recogniser`: every text box inside
 * the picture is masked, text or not.
 */
export const PRIVACY_LAYERS = ['resolution', 'layout', 'recogniser'] as const;
export type PrivacyLayer = (typeof PRIVACY_LAYERS)[number];

const layersVar = z.string().transform((value, ctx) => {
  const names = value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !(PRIVACY_LAYERS as readonly string[]).includes(n));
  if (bad.length) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown layer ${bad.join(', ')}; known: ${PRIVACY_LAYERS.join(', ')}`,
    });
    return z.NEVER;
  }
  return names as PrivacyLayer[];
});

/**
 * The edge's settings by environment variable, with their ranges and defaults: the one place they are
 * checked, by the edge at start and by the hub before it sends a box a desired configuration.
 */
export const edgeSettingsSchema = z.object({
  GIC_EDGE_HOST: z.string().min(1).default('127.0.0.1'),
  GIC_EDGE_PORT: portVar.default(8090),
  GIC_EDGE_DATA_DIR: z.string().min(1).default('.gic/edge'),
  GIC_EDGE_NAME: z.string().min(1).max(100).default('endoscopy-room-1'),
  /** The hub to enrol with and upload to (later taken from the enrolment reply). */
  GIC_HUB_URL: urlVar('http:', 'https:').default('http://127.0.0.1:8080'),
  /** One-time token from the hub admin; needed only for the first start. */
  GIC_ENROLMENT_TOKEN: z.string().optional(),
  /** Overrides the broker URL the hub gave at enrolment. */
  GIC_MQTT_URL: urlVar('mqtt:', 'mqtts:').optional(),
  GIC_SOURCE: z.string().min(1).transform(parseSource).default({ kind: 'test' }),
  GIC_SOURCE_LOOP: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Replay a file at its own frame rate, as a live tower would deliver it; false runs as fast as analysis allows. */
  GIC_REPLAY_REALTIME: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** Most sampled frames a second, while the view moves (fps). */
  GIC_ANALYSIS_FPS: z.coerce.number().min(0.2).max(30).default(5),
  /**
   * Fewest a second, while the view is still (fps). At least 2: the recorder runs 1 s behind the
   * analysis, and out-of-body masking must see the scope come out with time to spare.
   */
  GIC_ANALYSIS_MIN_FPS: z.coerce.number().min(2).max(30).default(2),
  /**
   * No frame analysed for this long while the source is live is a stall (s): shown on the screen,
   * reported to the hub and in /health/ready, and the capture pipeline is restarted.
   */
  GIC_ANALYSIS_STALL_S: z.coerce.number().min(3).max(600).default(10),
  /**
   * A live source's frames get a full privacy scan (10 px glyphs, small faces) at least this often, in
   * stream ms; frames between get a light one (banner text, large faces). At most 1000: the recorder's
   * 1.5 s delay must cover it (see shared/analysis/scan-cadence.ts). 0: every analysed frame in full
   * (a box whose accelerator keeps up).
   */
  GIC_FULL_SCAN_MS: z.coerce.number().int().min(0).max(MAX_FULL_SCAN_INTERVAL_MS).default(1000),
  /** Analysis frames keep the source's size (square pixels) up to this, aspect kept: small print needs its pixels. */
  GIC_ANALYSIS_MAX_SIZE: sizeVar.default({ width: 1920, height: 1200 }),
  /** Seconds of video between routine frame analyses by the VLM while in the body; 0: only flagged and asked-for frames. */
  GIC_VLM_FRAME_EVERY_S: z.coerce.number().min(0).max(3600).default(30),
  GIC_MODELS_DIR: z.string().min(1).default('models'),
  /** Manifest ids to load, comma separated. */
  GIC_MODELS: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean),
    )
    .default(['pp-ocrv4-det', 'pp-ocrv4-rec', 'blazeface-front']),
  /** Static on-screen-display regions burned out of every recording (normalised boxes). */
  GIC_PRIVACY_MASKS: masksVar.default([]),
  /** What is masked outside the endoscope's picture: all of it, only text there, or the picture is not used. */
  GIC_PRIVACY_MODE: z.enum(PRIVACY_MODES).default('mask-outside'),
  /** Measurement only: parts of the de-identification switched off (see PRIVACY_LAYERS). */
  GIC_PRIVACY_LAYERS_OFF: layersVar.default([]),
  GIC_UPLOAD_PART_MB: z.coerce.number().int().min(5).max(512).default(8),
  /** Average upload rate cap (MB/s) so recordings do not starve the live path; 0 = no cap. */
  GIC_UPLOAD_MAX_MBPS: z.coerce.number().min(0).max(10_000).default(0),
  /** Parts of a recording sent at once (the cap above still holds on average). */
  GIC_UPLOAD_PARALLEL_PARTS: z.coerce.number().int().min(1).max(16).default(3),
  /** Local recordings beyond this are evicted, oldest verified first; unverified ones never (GB). */
  GIC_RECORDINGS_MAX_GB: z.coerce.number().positive().default(200),
  /** Below this much free disk the screen warns (GB). */
  GIC_DISK_MIN_FREE_GB: z.coerce.number().min(0).default(5),
  /** Below this much free disk recording stops cleanly, analysis going on; it resumes at twice this (GB). */
  GIC_DISK_STOP_FREE_GB: z.coerce.number().min(0).default(1),
  // Recorder (capture/): MP4 segments of this length (s), at a pinned size and rate whatever the source does.
  GIC_RECORDING_SEGMENT_S: z.coerce.number().int().min(5).max(3600).default(60),
  GIC_RECORDING_SIZE: sizeVar.default({ width: 1280, height: 720 }),
  GIC_RECORDING_FPS: z.coerce.number().int().min(1).max(60).default(30),
  /** The room's default alert settings (see alerts/alert-settings.ts); a user's own replace them. */
  GIC_ALERT_SENSITIVITY: z.coerce.number().min(0).max(1).default(0.6),
  GIC_ALERT_MIN_DURATION_MS: z.coerce.number().int().min(0).max(10_000).default(300),
  GIC_ALERT_COOLDOWN_MS: z.coerce.number().int().min(0).max(120_000).default(5000),
  /** Procedures start and end by themselves from in-body / out-of-body video (the screen and API always can). */
  GIC_PROCEDURE_AUTO: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** In-body video for this long starts a procedure (s). */
  GIC_PROCEDURE_AUTO_START_S: z.coerce.number().min(0).max(600).default(3),
  /** Out-of-body video for this long ends it (s). */
  GIC_PROCEDURE_AUTO_END_S: z.coerce.number().min(1).max(3600).default(30),
  /** A lost source that stays lost this long ends the open procedure (s). */
  GIC_SOURCE_LOST_END_S: z.coerce.number().min(0).max(3600).default(60),
  /**
   * The box rotates its key pair this often (days), proving both keys to the hub; 0: never. A rotation
   * cut short (power, network) is finished at the next start.
   */
  GIC_KEY_ROTATION_DAYS: z.coerce.number().min(0).max(3650).default(90),
  /** How often the box fetches the in-room PINs and badges (hashes) from the hub (s); a 304 when unchanged. */
  GIC_ROOM_CREDENTIALS_SYNC_S: z.coerce.number().min(1).max(3600).default(60),
  /**
   * Lets the screen sign in a typed name, as before PINs, on a box that has never held an in-room
   * credential (not enrolled, or none issued yet). Off by default; never once a credential arrived.
   */
  GIC_SCREEN_TYPED_NAMES: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Wrong PINs or badges within GIC_SCREEN_SIGN_IN_WINDOW_S that lock the screen's entry. */
  GIC_SCREEN_SIGN_IN_TRIES: z.coerce.number().int().min(1).max(100).default(5),
  GIC_SCREEN_SIGN_IN_WINDOW_S: z.coerce.number().int().min(1).max(86_400).default(300),
  /** How long the entry stays locked after the last wrong try (s). */
  GIC_SCREEN_SIGN_IN_LOCK_S: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Signs the person out after this long with no action while no procedure is open (min); 0: never. */
  GIC_SCREEN_IDLE_SIGN_OUT_MIN: z.coerce
    .number()
    .min(0)
    .max(24 * 60)
    .default(30),
  GIC_LOG_LEVEL: logLevelVar.default('info'),
});
