import { describe, expect, it } from 'vitest';
import { guardAnswer, secretWords, WITHHELD } from './answer-guard.js';

const WITHHELD_LINES = [
  'MÜLLER, ANNA-LENA',
  'DOB 14.03.1961',
  'ID 0012345',
  'Patient: KOWALCZYK',
  'R O S S I',
];

describe('secretWords', () => {
  it('keeps the words of 3+ characters, folded, without labels or words we all use', () => {
    expect([...secretWords(WITHHELD_LINES)].sort()).toEqual(
      ['0012345', '1961', 'anna', 'kowalczyk', 'lena', 'muller', 'rossi'].sort(),
    );
  });
});

describe('guardAnswer', () => {
  it('takes out every word of a withheld line, in any case or accents', () => {
    expect(guardAnswer('Mrs muller (Anna) and MÜLLER; kowalczyk, Rossi.', WITHHELD_LINES)).toBe(
      `Mrs ${WITHHELD} (${WITHHELD}) and ${WITHHELD}; ${WITHHELD}, ${WITHHELD}.`,
    );
  });

  it('keeps labels, common words and the overlay, and words that only contain a secret', () => {
    const answer = 'The patient is seen under NBI; the annals say nothing of it.';
    expect(guardAnswer(answer, WITHHELD_LINES)).toBe(answer);
  });

  it.each([
    ['born 14.03.1961, seen today', `born ${WITHHELD}, seen today`],
    ['born 1961-03-14', `born ${WITHHELD}`],
    ['on 03/14/61', `on ${WITHHELD}`],
    ['on 14 March 1961', `on ${WITHHELD}`],
    ['on March 14, 1961', `on ${WITHHELD}`],
    ['record 778899', `record ${WITHHELD}`],
    ['number 123 456 789', `number ${WITHHELD}`],
    ['DOB: 14/03/61 noted', `DOB: ${WITHHELD} noted`],
    ['Name: Hans Meier was here', `Name: ${WITHHELD} was here`],
    ['MRN # 12-34', `MRN # ${WITHHELD}`],
  ])('takes out what is shaped like an identifier, read or not: %j', (answer, guarded) => {
    expect(guardAnswer(answer, [])).toBe(guarded);
  });

  it('keeps citations, clock times, sizes and settings', () => {
    const answer = 'At [12:30] and [1:02:03], at 10:45, a 6 mm polyp under zoom x1.5 (CF-H190L), 3 of 4.';
    expect(guardAnswer(answer, WITHHELD_LINES)).toBe(answer);
  });
});
