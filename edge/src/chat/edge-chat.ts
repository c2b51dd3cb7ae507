import { CHAT_IMAGE_SIZE } from '@gic/shared/chat/chat-prompt.js';
import { ChatService } from '@gic/shared/chat/chat-service.js';
import { decodeImage } from '@gic/shared/media/decode-image.js';
import type { VlmEngine } from '@gic/shared/vlm/vlm-engine.js';
import type { Outbox } from '../outbox/outbox.js';
import type { EdgeDatabase } from '../store/edge-database.js';
import { ChatLog } from './chat-log.js';
import { edgeProcedureFacts } from './edge-procedure-facts.js';

export interface EdgeChatDeps {
  db: EdgeDatabase;
  outbox: Outbox;
  vlm: VlmEngine;
  /** Hard limit of one answer's generation (GIC_VLM_TIMEOUT_MS). */
  timeoutMs?: number;
  /** The procedure on the screen and its latest preview (JPEG): the current frame of a question about it. */
  onScreen: () => { procedureId: string | undefined; jpeg: Buffer | undefined };
}

/** The room's chat: the shared service over the edge's SQLite store, with the screen's current picture. */
export function edgeChatService(deps: EdgeChatDeps): ChatService {
  return new ChatService({
    store: new ChatLog(deps.db, deps.outbox).asStore(),
    facts: edgeProcedureFacts(deps.db),
    vlm: deps.vlm,
    ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}),
    currentFrame: async (procedureId) => {
      const { procedureId: shown, jpeg } = deps.onScreen();
      if (shown !== procedureId || !jpeg) return undefined;
      const frame = await decodeImage(jpeg, CHAT_IMAGE_SIZE);
      return { image: { width: frame.width, height: frame.height, rgb: frame.data } };
    },
  });
}
