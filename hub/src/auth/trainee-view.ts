/**
 * What a trainee is shown: de-identified material only. The masked video, findings, quality,
 * landmarks, the summary and teaching exports stay; what names people or holds words typed about the
 * patient goes: the endoscopist and whoever acknowledged or dismissed an alert, the room's
 * conversation (free text said in the room), and other users' review chats. Applied to every answer
 * a trainee gets from the procedure and chat routes, after the permission check.
 */
import type { StoredChatMessage } from '@gic/shared/chat/chat-store.js';
import type { ProcedureFacts } from '@gic/shared/chat/procedure-facts.js';
import type { ProcedurePage, ProcedureSummary, Timeline } from '../procedures/procedure-view-types.js';
import type { UserRole } from './permissions.js';

/** Whether a role sees who did what and what was said (everyone who reads procedures but trainees). */
export function seesIdentities(role: UserRole | undefined): boolean {
  return role !== 'trainee';
}

/** A procedure with its people's names left out. */
export function deidentifiedProcedure<T extends ProcedureSummary>(procedure: T): T {
  return { ...procedure, operator: null, endedBy: null };
}

export function procedureFor<T extends ProcedureSummary>(role: UserRole | undefined, procedure: T): T {
  return seesIdentities(role) ? procedure : deidentifiedProcedure(procedure);
}

export function procedurePageFor(role: UserRole | undefined, page: ProcedurePage): ProcedurePage {
  return seesIdentities(role) ? page : { ...page, items: page.items.map(deidentifiedProcedure) };
}

/** The timeline without names on alerts and without the room's conversation. */
export function timelineFor(role: UserRole | undefined, timeline: Timeline): Timeline {
  if (seesIdentities(role)) return timeline;
  return {
    ...timeline,
    alerts: timeline.alerts.map((a) => ({ ...a, acknowledgedBy: null, dismissedBy: null })),
    chat: [],
  };
}

/**
 * A procedure's conversations as a trainee sees them: not the room's, and of the review chat only the
 * sessions they asked in themselves.
 */
export function conversationsFor(
  role: UserRole | undefined,
  username: string | undefined,
  conversations: { room: StoredChatMessage[]; review: StoredChatMessage[] },
): { room: StoredChatMessage[]; review: StoredChatMessage[] } {
  if (seesIdentities(role)) return conversations;
  const own = new Set(
    conversations.review.filter((m) => m.role === 'user' && m.by === username).map((m) => m.sessionId),
  );
  return { room: [], review: conversations.review.filter((m) => own.has(m.sessionId)) };
}

/** What the chat may tell a trainee about a procedure: its facts without the names of people. */
export function deidentifiedFacts(
  facts: (procedureId: string) => Promise<ProcedureFacts | undefined>,
): (procedureId: string) => Promise<ProcedureFacts | undefined> {
  return async (procedureId) => {
    const f = await facts(procedureId);
    return f && { ...f, operator: null, alerts: f.alerts.map((a) => ({ ...a, by: null })) };
  };
}
