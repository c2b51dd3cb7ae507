/**
 * Who may do what at the hub: the one permission table every user route declares against
 * (`allow(permission)` in http/auth-middleware.ts, and `auth` in openapi/hub-routes.ts, which a test
 * compares route by route with every role).
 */

/** The people's roles. */
export const ROLES = ['admin', 'reviewer', 'trainee', 'operator', 'auditor', 'room'] as const;
export type UserRole = (typeof ROLES)[number];

export function isUserRole(value: unknown): value is UserRole {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** What each role is for, as the portal and README say it. */
export const ROLE_DESCRIPTIONS: Record<UserRole, string> = {
  admin: 'everything, including people, jobs and retention',
  reviewer: 'a physician: procedures, videos, uploads, processing, exports and the review chat',
  trainee: 'de-identified material (masked videos, findings, summaries; no notes) and teaching exports only',
  operator: 'the fleet: devices and enrolment, no patient data',
  auditor: 'reads and exports the audit log, nothing else',
  room: 'in-room staff (nurses, technicians): signs in on the in-room screens with a PIN or badge; no portal rights',
};

const PATIENT_READERS = ['admin', 'reviewer', 'trainee'] as const;
const CLINICAL = ['admin', 'reviewer'] as const;

/** Each permission and the roles that hold it. */
export const PERMISSIONS = {
  /** Procedures, their timelines, videos, key frames and summaries (trainees see them de-identified). */
  'procedures.read': PATIENT_READERS,
  /** Re-run or cancel processing. */
  'procedures.process': CLINICAL,
  /** Upload a video (it becomes a procedure). */
  'videos.upload': CLINICAL,
  /** Build an export bundle. */
  'exports.create': CLINICAL,
  /** Download an export bundle (trainees: teaching exports only). */
  'exports.read': PATIENT_READERS,
  /** The review chat over a procedure. */
  'chat.use': PATIENT_READERS,
  /** The fleet: devices and their telemetry. */
  'devices.read': ['admin', 'operator'],
  /** Issue enrolment tokens. */
  'devices.enrol': ['admin', 'operator'],
  /** Upload models and roll them out to devices. */
  'models.manage': ['admin'],
  /** The job queues: pause, resume, retry. */
  'jobs.manage': ['admin'],
  /** Legal holds and purges. */
  'retention.manage': ['admin'],
  /** People: create, reset passwords, disable, end sessions, issue in-room PINs and badges. */
  'users.manage': ['admin'],
  /** The audit log (separation of duties: the auditor, not the admin who acts). */
  'audit.read': ['auditor'],
  /** One's own session: sign out, change one's password, who am I. */
  'session.own': ROLES,
} as const satisfies Record<string, readonly UserRole[]>;
export type Permission = keyof typeof PERMISSIONS;

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}

export function roleHas(role: UserRole, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly UserRole[]).includes(role);
}
