import { DATE_PATTERNS, DIGIT_GROUPS, isIdentifierLabel, joinSpacedLetters } from './screen-identifiers.js';
import { COMMON_WORDS, foldWord, OVERLAY_WORDS } from './screen-text-words.js';

/** What stands in a stored answer for anything the guard took out. */
export const WITHHELD = '[withheld]';

/** Shortest word of a withheld line that the guard looks for in answers (characters). */
const MIN_SECRET_LENGTH = 3;

const global = (p: RegExp) => new RegExp(p.source, p.flags.includes('g') ? p.flags : `${p.flags}g`);
const DATES = DATE_PATTERNS.map(global);
/** A label matched in any case, while the words after it keep theirs (a name's capitals). */
const anyCase = (label: string) =>
  label.replace(/\p{L}/gu, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`).replace(/\./g, '\\.');
const LABELS = [
  'name',
  'patient name',
  'dob',
  'd.o.b.',
  'date of birth',
  'mrn',
  'patient id',
  'pid',
  'geb.',
  'geb',
  'geburtsdatum',
];
/** An identifier's label with its value: "DOB: ...", "MRN # 12", "Name: Anna Muller" (capitalised words, up to 3). */
const LABELLED_VALUE = new RegExp(
  `\\b(?:${LABELS.map(anyCase).join('|')})\\s*[:#]\\s*[\\p{L}\\p{N}'’./-]+(?:[ \\t]+[\\p{Lu}\\p{N}][\\p{L}\\p{N}'’./-]*){0,2}`,
  'gu',
);

/** The words of withheld lines worth looking for: 3+ characters, not a label or a word we all use. */
export function secretWords(withheld: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const line of withheld) {
    for (const m of joinSpacedLetters(line.normalize('NFKC')).matchAll(/[\p{L}\p{N}]+/gu)) {
      const word = foldWord(m[0]);
      if (
        word.length < MIN_SECRET_LENGTH ||
        isIdentifierLabel(word) ||
        COMMON_WORDS.has(word) ||
        OVERLAY_WORDS.has(word)
      )
        continue;
      out.add(word);
    }
  }
  return out;
}

/**
 * An answer made safe to store and sync: every word of a withheld line (3+ characters, any case or
 * accents; labels such as "patient" and common words kept) and anything shaped like an identifier
 * (dates, runs of 4+ digits, groups of digits, a labelled name or date of birth) replaced by
 * "[withheld]". Times such as [12:30] are kept, so citations still work.
 */
export function guardAnswer(answer: string, withheld: readonly string[]): string {
  const secrets = secretWords(withheld);
  let out = answer
    .normalize('NFC')
    .replace(LABELLED_VALUE, (m) => `${m.slice(0, m.search(/[:#]/) + 1)} ${WITHHELD}`);
  for (const p of DATES) out = out.replace(p, WITHHELD);
  out = out.replace(DIGIT_GROUPS, (m) => (m.replace(/\D/g, '').length >= 6 ? WITHHELD : m));
  out = out.replace(/\d{4,}/g, WITHHELD);
  if (secrets.size) {
    out = out.replace(/[\p{L}\p{N}]+/gu, (w) => (secrets.has(foldWord(w)) ? WITHHELD : w));
  }
  return out;
}
