import { randomUUID } from 'node:crypto'
import { HOUR_MS } from '../../domain/japan.js'
import type { MaintenanceWindow } from '../../domain/calendar.js'

// The operations role: maintenance windows, the audit log, the console's hourly chart and its
// sessions (http/admin/).

export interface AuditEntry {
  at: number
  actor: string
  action: string
  target?: string
  /** Why the operator did it (a lifted lock says why). */
  reason?: string
  before?: unknown
  after?: unknown
}

/** The audit log keeps this many entries, the newest. */
export const AUDIT_CAP = 1000

/** Hours of per-hour call counters a store keeps per pool number (the console's 24-hour chart). */
export const HOURLY_HOURS = 24
export { HOUR_MS }

/** One pool number's calls per hour, oldest first, the last entry the current hour. */
export interface HourlyCalls {
  e164: string
  /** Calls that reached it, any kind (withheld and unmatched included). */
  calls: number[]
  /** Calls that verified a pending verification. */
  verified: number[]
}

/** The hours hourlyCalls answers at `now`: the last `hours` (at most HOURLY_HOURS), the current one last. */
export function hourSpan(now: number, hours: number): { firstHour: number; span: number } {
  const span = Math.min(hours, HOURLY_HOURS)
  return { firstHour: Math.floor(now / HOUR_MS) - span + 1, span }
}

/** An operations console session (http/admin/session.ts): stored under a digest of its cookie. */
export interface AdminSession {
  /** The admin token's name. */
  admin: string
  /** The per-session CSRF token every state-changing request repeats in a header. */
  csrfToken: string
  /** HMAC of the session's digest keyed by the admin token: a revoked or rotated token ends it; the token itself is never stored. */
  tokenMac: string
  createdAt: number
  /** The store forgets it then (a TTL in Redis). */
  expiresAt: number
}

/** A maintenance window as added: its id is the store's. */
export function newMaintenanceWindow(window: Omit<MaintenanceWindow, 'id'>): MaintenanceWindow {
  return { ...window, id: `mw_${randomUUID()}` }
}

export interface OpsStore {
  /** The windows not yet over, soonest first (past ones are dropped). */
  listMaintenance(): Promise<MaintenanceWindow[]>
  addMaintenance(window: Omit<MaintenanceWindow, 'id'>): Promise<MaintenanceWindow>
  removeMaintenance(id: string): Promise<MaintenanceWindow | null>

  /** Kept newest first, AUDIT_CAP at most. */
  appendAudit(entry: AuditEntry): Promise<void>
  listAudit(limit: number): Promise<AuditEntry[]>

  /** Calls and verified calls per pool number per hour, the last `hours` (≤ HOURLY_HOURS) hours by the store's clock. */
  hourlyCalls(hours: number): Promise<{ firstHour: number; numbers: HourlyCalls[] }>

  putSession(digest: string, session: AdminSession): Promise<void>
  /** The session, or null once it is deleted or past its expiresAt. */
  getSession(digest: string): Promise<AdminSession | null>
  deleteSession(digest: string): Promise<void>
}
