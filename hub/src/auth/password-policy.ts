/**
 * The rules a person's password must meet (NIST SP 800-63B 3.1.1.2: length over composition rules,
 * checked against commonly used and context-specific words). Stored with scrypt (passwords.ts).
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

// Commonly used passwords and words of this place that a guesser tries first (lower case).
const COMMON = [
  'password',
  'passw0rd',
  'qwerty',
  'letmein',
  'welcome',
  'iloveyou',
  'admin',
  'changeme',
  'hospital',
  'endoscopy',
  'colonoscopy',
  'copilot',
  '123456',
  'abc123',
];

/** Why `password` is refused for `username`, or null when it is acceptable. */
export function passwordProblem(password: string, username: string): string | null {
  const chars = [...password];
  if (chars.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (chars.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (username.length >= 3 && lower.includes(username.toLowerCase())) return 'must not contain the user name';
  if (new Set(chars).size < 5) return 'must use at least 5 different characters';
  const stripped = lower.replace(/[^a-z]/g, '');
  const word = COMMON.find((w) => stripped === w || (lower.includes(w) && lower.length - w.length < 6));
  if (word) return 'is too common (built around a word guessers try first)';
  return null;
}
