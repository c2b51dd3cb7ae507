/**
 * VlmMessages as Gemma 3's chat template wants them. The template accepts one leading system message
 * (folded into the first user turn) and then strictly alternating user and model turns, so the
 * system messages are joined into one and consecutive messages of the same role are merged. An image
 * becomes an `{ type: 'image' }` part, which the template writes as `<start_of_image>` and
 * Gemma3Processor expands to `image_seq_length` image tokens.
 */
import type { VlmImage, VlmMessage } from './vlm-engine.js';

/** One part of a turn's content. */
export type GemmaPart = { type: 'text'; text: string } | { type: 'image' };

/** A turn for the chat template. */
export interface GemmaTurn {
  role: 'system' | 'user' | 'assistant';
  content: GemmaPart[];
}

/** The turns for the chat template and the images in the order their tokens appear. */
export function toGemmaTurns(messages: readonly VlmMessage[]): { turns: GemmaTurn[]; images: VlmImage[] } {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const turns: GemmaTurn[] =
    system.length > 0 ? [{ role: 'system', content: [{ type: 'text', text: system.join('\n\n') }] }] : [];
  const images: VlmImage[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    const parts: GemmaPart[] = [];
    if (m.image && m.role === 'user') {
      parts.push({ type: 'image' });
      images.push(m.image);
    }
    if (m.content.length > 0) parts.push({ type: 'text', text: m.content });
    const last = turns.at(-1);
    if (last && last.role === m.role) {
      if (parts[0]?.type === 'text' && last.content.at(-1)?.type === 'text')
        parts.unshift({ type: 'text', text: '\n\n' });
      last.content.push(...parts);
    } else {
      turns.push({ role: m.role, content: parts });
    }
  }
  // The template wants the conversation to start with a user turn after the system message.
  const firstChat = turns.findIndex((t) => t.role !== 'system');
  if (firstChat >= 0 && turns[firstChat]!.role === 'assistant') {
    turns.splice(firstChat, 0, {
      role: 'user',
      content: [{ type: 'text', text: '(conversation continues)' }],
    });
  }
  // Gemma's template treats a system message's content as its first text part only.
  const head = turns[0];
  if (head?.role === 'system') head.content = [{ type: 'text', text: textOf(head.content) }];
  return { turns, images };
}

function textOf(parts: GemmaPart[]): string {
  return parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
}
