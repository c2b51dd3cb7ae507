import { describe, expect, test } from 'vitest';
import { CONTRACT_QUESTION, drain, vlmContract } from '../../../test/vlm-contract.js';
import { VlmTimeoutError, VlmUnavailableError } from '../vlm/vlm-engine.js';
import { ScriptedVlmEngine, scriptedTokens } from './scripted-vlm.js';

const ANSWER = 'A small sessile polyp is seen at the ascending colon.';

describe('ScriptedVlmEngine', () => {
  vlmContract({
    engine: () =>
      new ScriptedVlmEngine((req) => (req.messages.at(-1)?.content === CONTRACT_QUESTION ? ANSWER : '?'), {
        maxWaiting: 1,
        tokenDelayMs: 2,
      }),
    answer: ANSWER,
  });

  test('splits answers into word tokens that join back to the answer', () => {
    expect(scriptedTokens('a  b c ')).toEqual(['a  ', 'b ', 'c ']);
    expect(scriptedTokens(ANSWER).join('')).toBe(ANSWER);
  });

  test('records requests, times out hard, and is unavailable when off', async () => {
    const engine = new ScriptedVlmEngine(async () => 'slow '.repeat(100), { tokenDelayMs: 20 });
    const req = { messages: [{ role: 'user' as const, content: 'hi' }], timeoutMs: 100 };
    await expect(drain(engine.generate(req))).rejects.toBeInstanceOf(VlmTimeoutError);
    expect(engine.requests).toEqual([req]);
    engine.setOff('no model');
    expect(engine.status()).toEqual({ state: 'off', reason: 'no model' });
    await expect(drain(engine.generate(req))).rejects.toBeInstanceOf(VlmUnavailableError);
  });
});
