/**
 * De-identification, in four layers that each fail closed (see ARCHITECTURE.md, Privacy):
 * 1. the whole frame while the scope may be outside the body (`in-body.ts`, faces) or analysis lags;
 * 2. everything outside the endoscope's picture (`field-of-view.ts`, followed by `field-of-view-tracker.ts`);
 * 3. the tower's learned on-screen-display layout (`osd-layout.ts`);
 * 4. whole text lines (`text-lines.ts`), confirmed by a recogniser inside the picture (`text-recogniser.ts`).
 * `privacy-mask.ts` puts them together and renders the one mask every output uses: the recorder (SVG),
 * thumbnails and exports (pixels).
 */
export * from './colour-grid.js';
export * from './field-of-view.js';
export * from './field-of-view-tracker.js';
export * from './in-body.js';
export * from './osd-layout.js';
export * from './polygon.js';
export * from './privacy-mask.js';
export * from './text-lines.js';
export * from './text-recogniser.js';
