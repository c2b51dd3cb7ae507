import { OffVlmEngine } from '../vlm/off-vlm-engine.js';
import type { VlmEngine } from '../vlm/vlm-engine.js';

/** Why the chat has no model when a process is given none. */
export const NO_VLM_REASON =
  'no vision-language model configured: MedGemma (or an OpenAI-compatible server) is operator-supplied';

/**
 * The engine a process runs with when no model is configured: status `off` with the reason, and
 * every generation refused. The chat still answers from the timeline; other questions get the reason.
 */
export function offVlmEngine(reason: string = NO_VLM_REASON): VlmEngine {
  return new OffVlmEngine(reason);
}
