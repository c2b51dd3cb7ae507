import { guardAnswer } from '@gic/shared/chat/answer-guard.js';
import { CHAT_IMAGE_SIZE } from '@gic/shared/chat/chat-prompt.js';
import { ChatService } from '@gic/shared/chat/chat-service.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { VlmEngine } from '@gic/shared/vlm/vlm-engine.js';
import type { Outbox } from '../outbox/outbox.js';
import type { EdgeDatabase } from '../store/edge-database.js';
import { ChatLog } from './chat-log.js';
import type { ChatTextRecogniser } from './chat-recogniser.js';
import { edgeProcedureFacts } from './edge-procedure-facts.js';
import { readScreen, type ScreenSnapshot } from './screen-reading.js';

export interface EdgeChatDeps {
  db: EdgeDatabase;
  outbox: Outbox;
  vlm: VlmEngine;
  /** Hard limit of one answer's generation (GIC_VLM_TIMEOUT_MS). */
  timeoutMs?: number;
  /**
   * The procedure on the screen and what the screen shows: its latest preview (JPEG), the latest
   * analyses of the live video and the learned layout. No snapshot (no preview yet): no picture.
   */
  onScreen: () => { procedureId: string | undefined; snapshot: ScreenSnapshot | undefined };
  /** The chat's own text recogniser (chat-recogniser.ts); absent: the model gets no on-screen text. */
  recogniser?: ChatTextRecogniser;
  log?: Logger;
}

/**
 * The room's chat: the shared service over the edge's SQLite store, with the screen's current
 * picture (text lines blacked out) and its overlay text, and every stored answer guarded so that
 * nothing read off the screen as a patient identifier leaves the box.
 */
export function edgeChatService(deps: EdgeChatDeps): ChatService {
  return new ChatService({
    store: new ChatLog(deps.db, deps.outbox).asStore(),
    facts: edgeProcedureFacts(deps.db),
    vlm: deps.vlm,
    ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}),
    currentFrame: async (procedureId) => {
      const { procedureId: shown, snapshot } = deps.onScreen();
      if (shown !== procedureId || !snapshot) return undefined;
      const reading = await readScreen(snapshot, await deps.recogniser?.get(), {
        modelImage: CHAT_IMAGE_SIZE,
      }).catch((err: unknown) => {
        deps.log?.warn({ err }, 'chat could not read the screen; the question goes without its picture');
        return undefined;
      });
      if (!reading) return { withheld: [] };
      const { frame, stats } = reading;
      deps.log?.info(
        { ...stats, shown: frame.onScreenText?.length ?? 0, withheld: frame.withheld?.length ?? 0 },
        'chat read the screen',
      );
      return frame;
    },
    guard: guardAnswer,
  });
}
