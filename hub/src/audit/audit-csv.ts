import type { AuditRecord } from './audit-query.js';

export const AUDIT_CSV_COLUMNS = [
  'id',
  'at',
  'actorKind',
  'actorId',
  'actorName',
  'actorRole',
  'action',
  'objectType',
  'objectId',
  'outcome',
  'address',
  'detail',
] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break, quotes doubled. A cell a
 * spreadsheet would take for a formula (starting with = + - @, tab or carriage return) gets a leading `'`
 * (OWASP CSV injection).
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvHeader(): string {
  return `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
}

export function csvRow(record: AuditRecord): string {
  return `${AUDIT_CSV_COLUMNS.map((k) => csvCell(record[k])).join(',')}\r\n`;
}
