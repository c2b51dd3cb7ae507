import { chatRoutes as sharedChatRoutes } from '@gic/shared/chat/chat-routes.js';
import type { ChatService } from '@gic/shared/chat/chat-service.js';

export interface ChatDeps {
  service: ChatService;
  /** The procedure on the in-room screen (open, or the one just ended); undefined before any video. */
  currentProcedureId: () => string | undefined;
  /** Called once a message is stored, so that its event goes out now. */
  recorded?: () => void;
  /** Who asks, when the box knows better than the request (the person signed in on the screen). */
  askedBy?: () => string | undefined;
}

/**
 * The seed's chat routes for the room (shared/src/chat/chat-routes.ts): a new session is about the
 * procedure on the screen, and every question and answer goes to the hub through the outbox.
 */
export function chatRoutes(deps: ChatDeps) {
  return sharedChatRoutes({
    service: deps.service,
    defaultProcedure: deps.currentProcedureId,
    noProcedure: 'no procedure yet: a chat session is about a procedure, and none has started here',
    ...(deps.recorded ? { recorded: deps.recorded } : {}),
    ...(deps.askedBy ? { askedBy: deps.askedBy } : {}),
  });
}
