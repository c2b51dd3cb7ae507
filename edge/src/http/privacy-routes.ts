import type { PrivacyMode } from '@gic/shared/analysis/privacy/privacy-mask.js';
import { type AppEnv, readJson } from '@gic/shared/http/request-context.js';
import { type Box, type LayoutBox, layoutBoxSchema, MAX_LAYOUT_BOXES } from '@gic/shared/messages/events.js';
import { Hono } from 'hono';
import { z } from 'zod';

/** A region that lies inside the frame and has an area (a typo of 1.5 would mask nothing sensible). */
const regionSchema = layoutBoxSchema.refine(
  (b) => b.x + b.w <= 1.0001 && b.y + b.h <= 1.0001 && b.w > 0 && b.h > 0,
  {
    message: 'a region must have an area and lie inside the frame (x + w <= 1, y + h <= 1)',
  },
);
const layoutSchema = z.object({
  boxes: z.array(regionSchema).max(MAX_LAYOUT_BOXES),
  by: z.string().trim().min(1).max(100).nullable().optional(),
});

export interface PrivacyActions {
  mode: PrivacyMode;
  /** Layers switched off for measurement (GIC_PRIVACY_LAYERS_OFF); the screen warns while any is. */
  layersOff: string[];
  /** Boxes configured by hand (GIC_PRIVACY_MASKS), always masked, not editable here. */
  configured: Box[];
  /** The device's learned and edited layout. */
  layout: { readonly boxes: LayoutBox[]; edit(boxes: LayoutBox[], by: string | null): LayoutBox[] };
}

/**
 * The device's privacy set-up: `GET /` gives the mode, the configured boxes and the on-screen-display
 * layout (learned and edited); `PUT /layout` (`{boxes, by?}`) replaces the layout after a person checked
 * it on the in-room screen. The change is stored and sent to the hub with the device's record.
 */
export function privacyRoutes(actions: PrivacyActions) {
  const state = () => ({
    mode: actions.mode,
    layersOff: actions.layersOff,
    configured: actions.configured,
    layout: actions.layout.boxes,
  });
  return new Hono<AppEnv>()
    .get('/', (c) => c.json(state()))
    .put('/layout', async (c) => {
      const body = await readJson(c, layoutSchema);
      const boxes = actions.layout.edit(body.boxes, body.by ?? null);
      c.get('log').info({ regions: boxes.length, by: body.by ?? null }, 'mask layout edited');
      return c.json(state());
    });
}
