import {
  CJK_IDENTIFIER_LABELS,
  COMMON_WORDS,
  foldWord,
  IDENTIFIER_LABELS,
  OVERLAY_WORDS,
} from './screen-text-words.js';

/** Why a line read off the screen was withheld from the model, or `overlay` when it was not. */
export type ScreenLineKind = 'overlay' | 'label' | 'date' | 'digits' | 'name-form' | 'name-shaped' | 'empty';

/** Longest line, in words, that is judged by its words alone: a name is one to four words. */
const SHORT_LINE_WORDS = 4;

/**
 * Letters the recogniser reads for digits (O for 0, I, l or | for 1) turned back into digits where
 * they touch a digit, so that "1961-O3-14" is a date and "00I2345" a run of digits.
 */
export function digitsRestored(text: string): string {
  let out = text;
  for (let i = 0; i < 3; i++) {
    out = out.replace(/(?<=\d)[Oo]|[Oo](?=\d)/g, '0').replace(/(?<=\d)[Il|]|[Il|](?=\d)/g, '1');
  }
  return out;
}

const MONTHS =
  '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|januar|februar|marz|maerz|mai|juni|juli|okt|dez|janv|fevr|fev|mars|avr|juin|juil|aout|ene|abr|ago|dic|gen|mag|giu|lug|set|ott|maj|paz|lis|gru|sty|lut|kwi|cze|sie|wrz)[a-z]*\\.?';

/**
 * Dates as towers and people write them: 1961-03-14, 14.03.1961, 03/14/61, 14.03., 14-MAR-61,
 * March 14, 1961, 1961年3月14日. Clock times (12:30) are not dates.
 */
export const DATE_PATTERNS: readonly RegExp[] = [
  /(?<!\d)\d{1,4}\s?[./-]\s?\d{1,2}\s?[./-]\s?\d{2,4}(?!\d)/,
  /(?<![\d.])\d{1,2}[./]\d{1,2}[./](?!\d)/,
  /(?<![\d/])\d{2}\/\d{2}(?![\d/])/,
  new RegExp(`(?<!\\d)\\d{1,2}[\\s.-]*${MONTHS}[\\s.,-]*\\d{2,4}(?!\\d)`, 'i'),
  new RegExp(`\\b${MONTHS}\\s*\\d{1,2}(?:st|nd|rd|th)?,?\\s*\\d{2,4}(?!\\d)`, 'i'),
  /\d{1,4}\s?年\s?\d{1,2}\s?月/,
];

/** Groups of digits that make 6 or more together (123 456 789): an ID written in parts. */
export const DIGIT_GROUPS = /\d{2,}(?:[ -]\d{2,})+/g;

function groupedDigits(text: string): boolean {
  for (const m of text.matchAll(DIGIT_GROUPS)) {
    if (m[0].replace(/\D/g, '').length >= 6) return true;
  }
  return false;
}

/** Letters spaced out (a font's tracking, "M U L L E R") that the recogniser read one by one, as one word again. */
export function joinSpacedLetters(text: string): string {
  return text.replace(/(?<![\p{L}\p{N}])\p{L}(?: \p{L}(?![\p{L}\p{N}])){2,}/gu, (m) => m.replace(/ /g, ''));
}

/** Words of a line: runs of letters (with inner ' . -), digits and setting tokens apart. */
function lineWords(line: string): { words: string[]; settings: string[] } {
  const words: string[] = [];
  const settings: string[] = [];
  for (const raw of line.split(/[\s,;:：|()[\]{}<>"“”=^_*#]+/)) {
    const token = raw.replace(/^[.'’-]+|[.'’-]+$/g, '');
    if (!token) continue;
    if (/\d/.test(token)) settings.push(token);
    else if (/^\p{L}[\p{L}.'’-]*$/u.test(token)) words.push(token);
  }
  return { words, settings };
}

/** Whether a word is a known word: the tower's overlay vocabulary or a common word (parts of "i-scan" too). */
function known(word: string): boolean {
  const folded = foldWord(word);
  if (folded.length <= 1 || OVERLAY_WORDS.has(folded) || COMMON_WORDS.has(folded)) return true;
  // Roman numerals of model generations: EXERA III, ELUXEO VII.
  if (/^[ivx]{2,4}$/.test(folded)) return true;
  const parts = folded.split(/[.'’-]+/).filter(Boolean);
  return parts.length > 1 && parts.every((p) => p.length <= 1 || OVERLAY_WORDS.has(p) || COMMON_WORDS.has(p));
}

/** One edit (a letter changed, added or dropped) apart: the recogniser's usual slip. */
function oneEditApart(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1 || a === b) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(i + 1) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i) || a.slice(i) === b.slice(i + 1);
}

const LONG_LABELS = [...IDENTIFIER_LABELS].filter((l) => l.length >= 5);

/** Whether a word is an identifier's label, or one slip from a long label (and no word we know). */
export function isIdentifierLabel(word: string): boolean {
  const parts = foldWord(word)
    .split(/[.'’-]+/)
    .filter(Boolean);
  return parts.some(
    (p) =>
      IDENTIFIER_LABELS.has(p) ||
      (p.length >= 5 && !known(p) && LONG_LABELS.some((label) => oneEditApart(p, label))),
  );
}

/** Name forms: "SURNAME, Given", DICOM's "SURNAME^GIVEN", "J. Smith", "Smith J.", "MULLER Anna". */
function nameForm(line: string): boolean {
  for (const m of line.matchAll(/(\p{L}[\p{L}'’-]+)\s*,\s*(\p{L}[\p{L}'’-]*)/gu)) {
    if (/\p{Lu}/u.test(m[1]!.charAt(0)) && (!known(m[1]!) || !known(m[2]!))) return true;
  }
  if (/\p{L}{2,}\s*\^\s*\p{L}{2,}/u.test(line)) return true;
  if (/(?<![\p{L}\d])\p{Lu}\.\s?\p{Lu}\p{Ll}+/u.test(line)) return true;
  if (/\p{Lu}\p{Ll}+,?\s\p{Lu}\.(?:\s|$)/u.test(line)) return true;
  // A tower's surname in capitals beside a given name in mixed case, neither a word we know.
  for (const m of line.matchAll(
    /(\p{Lu}{2,}[\p{Lu}'’-]*)\s+(\p{Lu}\p{Ll}+)|(\p{Lu}\p{Ll}+)\s+(\p{Lu}{2,}[\p{Lu}'’-]*)(?!\p{Ll})/gu,
  )) {
    const [a, b] = m[1] ? [m[1], m[2]!] : [m[3]!, m[4]!];
    if (!known(a) && !known(b)) return true;
  }
  return false;
}

/**
 * What one line read off the screen is: `overlay` (the tower's modes, settings, scope, timers, or
 * any other text that is not a patient's: the model may see it, as quoted data), or the reason it is
 * withheld as a possible patient identifier. It fails closed: a short line with a word it does not
 * know (a surname alone, "Anna Muller") is withheld, since a name is just that.
 */
export function classifyScreenLine(line: string): ScreenLineKind {
  const text = joinSpacedLetters(line.normalize('NFKC').trim());
  if (!text) return 'empty';
  const { words, settings } = lineWords(text);
  if (words.some(isIdentifierLabel) || /\bd\.?\s?[o0]\.?\s?b\b/i.test(text)) return 'label';
  if (CJK_IDENTIFIER_LABELS.some((label) => text.includes(label))) return 'label';
  const digits = digitsRestored(text);
  if (DATE_PATTERNS.some((p) => p.test(digits))) return 'date';
  if (/\d{4,}/.test(digits) || groupedDigits(digits)) return 'digits';
  if (nameForm(text)) return 'name-form';
  const unknown = words.filter((w) => !known(w));
  // Chinese and Japanese names have no spaces: a run of such letters is one unknown word.
  if (unknown.length && words.length <= SHORT_LINE_WORDS) return 'name-shaped';
  if (unknown.length && !words.some((w) => COMMON_WORDS.has(foldWord(w)))) return 'name-shaped';
  if (!words.length && !settings.length) return 'empty';
  return 'overlay';
}

/** Lines read off the screen, split into what the model may be given and what is withheld. */
export function splitScreenText(lines: readonly string[]): { shown: string[]; withheld: string[] } {
  const shown: string[] = [];
  const withheld: string[] = [];
  for (const line of lines) {
    const kind = classifyScreenLine(line);
    if (kind === 'overlay') shown.push(line.trim());
    else if (kind !== 'empty') withheld.push(line.trim());
  }
  return { shown, withheld };
}
