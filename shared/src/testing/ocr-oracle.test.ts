import { describe, expect, it } from 'vitest';
import { identifierCharacters } from './ocr-oracle.js';

const identifiers = ['KOWALCZYK, MAGDALENA', 'MRN 00784213', 'DOB 1961-03-14'];

describe('identifierCharacters', () => {
  it('counts an identifier word read whole, alone or run together with others', () => {
    expect(identifierCharacters('Kowalczyk, Magdalena', identifiers)).toEqual([
      { read: 'KOWALCZYK', identifier: 'KOWALCZYK', characters: 9 },
      { read: 'MAGDALENA', identifier: 'MAGDALENA', characters: 9 },
    ]);
    expect(identifierCharacters('XMRN00784213', identifiers)).toEqual([
      { read: 'XMRN00784213', identifier: 'MRN', characters: 3 },
    ]);
  });

  it('counts a fragment at a mask edge from four characters, not a three-letter word read over texture', () => {
    expect(identifierCharacters('AGDALENA', identifiers)).toEqual([
      { read: 'AGDALENA', identifier: 'MAGDALENA', characters: 8 },
    ]);
    expect(identifierCharacters('0784', identifiers)).toEqual([
      { read: '0784', identifier: '00784213', characters: 4 },
    ]);
    // What Tesseract read over the mucosa of masked recordings: none of it is there.
    expect(identifierCharacters('ALE AIE MLE VAS IES ESA AIL JAE MINS 196', identifiers)).toEqual([]);
  });

  it('ignores words shorter than three characters and counts pattern matches', () => {
    expect(identifierCharacters('19 OE 14:32:07', identifiers, [/\b1\d[:.]3\d[:.][0-5]\d\b/])).toEqual([
      { read: '14:32:07', identifier: '\\b1\\d[:.]3\\d[:.][0-5]\\d\\b', characters: 6 },
    ]);
  });
});
