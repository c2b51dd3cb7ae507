import { expect, test } from 'vitest';
import { toGemmaTurns } from './gemma-prompt.js';

const image = { width: 1, height: 1, rgb: new Uint8Array(3) };

test('system messages fold into one, same-role messages merge, images stay with their user turn', () => {
  const { turns, images } = toGemmaTurns([
    { role: 'system', content: 'Rules.' },
    { role: 'user', content: 'Earlier question.' },
    { role: 'assistant', content: 'Earlier answer.' },
    { role: 'system', content: 'More rules.' },
    { role: 'user', content: 'Context.' },
    { role: 'user', content: 'Question?', image },
    { role: 'assistant', content: 'ignored image', image },
  ]);
  expect(turns).toEqual([
    { role: 'system', content: [{ type: 'text', text: 'Rules.\n\nMore rules.' }] },
    { role: 'user', content: [{ type: 'text', text: 'Earlier question.' }] },
    { role: 'assistant', content: [{ type: 'text', text: 'Earlier answer.' }] },
    {
      role: 'user',
      content: [{ type: 'text', text: 'Context.' }, { type: 'image' }, { type: 'text', text: 'Question?' }],
    },
    { role: 'assistant', content: [{ type: 'text', text: 'ignored image' }] },
  ]);
  expect(images).toEqual([image]);
});

test('a conversation that starts with the model gets a user turn first (the template wants alternation)', () => {
  const { turns } = toGemmaTurns([
    { role: 'assistant', content: 'Hello.' },
    { role: 'user', content: 'Hi.' },
  ]);
  expect(turns.map((t) => t.role)).toEqual(['user', 'assistant', 'user']);
});
