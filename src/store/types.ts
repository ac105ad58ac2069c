import type { MaintenanceWindow } from '../domain/calendar.js'
import type { NumberHealth, NumberState } from '../domain/pool.js'
import type { PhoneHashKeys } from '../domain/phonehash.js'
import type { CallerAttestation } from '../domain/carrier.js'
import type { CancelReason, Verification, VerificationStatus } from '../domain/verification.js'

// One Store interface for every store (STYLE.md). Every method that reads and decides is
// atomic: in memory a synchronous step, in Redis one Lua script. Refusals are thrown as
// CallverifyError with the contract's code, the same from both stores (refusals.ts).

export interface CreateVerificationInput {
  id: string
  tenant: string
  /** E.164, already normalised (R14). The store keeps only its hash and mask (PHONE_HASH_KEY). */
  phoneNumber: string
  pollTokenHash: string
  windowMs: number
  /** Uniform in [0, 1): picks the verification number (R2); passed in so Redis needs no PRNG. */
  random: number
  reference?: string
  callbackUrl?: string
  /** Rate-limit counts to take first, in the same step (RateCount). */
  counts?: RateCount[]
}

/**
 * One hit on a rate-limit counter (plugins/ratelimit.ts): a fixed window from the counter's first
 * hit, shared by every instance on a shared store. Store steps that take counts take them first,
 * in order, and refuse with TOO_MANY_REQUESTS at the first counter past its max, doing nothing else:
 * a status poll and a create count and act in one round trip.
 */
export interface RateCount {
  /** Names the counter: `key:<tenant>`, `phone:<digest>`, `addr:<address>` (never a number itself, R1). */
  key: string
  /** The same counter under PHONE_HASH_PREVIOUS_KEY during a rotation: its hits count toward max too. */
  previousKey?: string
  max: number
  windowMs: number
}

export interface Hits {
  /** Hits in the current window, this one included. */
  current: number
  /** Until the window ends. */
  ttlMs: number
}

export interface Outcome {
  verification: Verification
  /** The store's clock when the step ran (ms since epoch). */
  now: number
  /** Verifications whose status this step changed, in order (a superseded one, then this one). */
  changed: Verification[]
}

export type CallOutcome =
  | 'verified' // a pending verification became verified
  | 'repeat' // R7: another call for an already verified one
  | 'expired' // the window this call aimed at is over
  | 'unmatched' // a known pool number, but no open verification for this caller
  | 'unknown-number' // To is not a pool number (or a retired one)
  | 'duplicate' // the carrier posted the same call id again
  | 'wrong-carrier' // To is a pool number of another carrier: verifies nothing (CONTRACT "Carriers")
  | 'attestation-refused' // the caller ID's attestation falls short of the tenant's TENANT_POLICY

export interface RecordCallInput {
  /** The carrier's call id; remembered per carrier (CALL_ID_TTL_MS). */
  callSid: string
  /** Caller, E.164 (withheld callers never reach the store's matching); hashed to find its match, never kept. */
  from: string
  to: string
  /** The webhook's carrier (default twilio): a pool number of another carrier verifies nothing. */
  carrier?: string
  /** Recorded on the verification it verifies; absent = unknown. */
  attestation?: CallerAttestation
  /** Tenants whose TENANT_POLICY this call's attestation does not meet (domain tenantsRefusing). */
  refusingTenants?: string[]
}

export interface CallResult {
  outcome: CallOutcome
  now: number
  changed: Verification[]
}

// The states and healths are the domain's (domain/pool.ts); named here too for the stores' callers.
export { NUMBER_STATES, type NumberHealth, type NumberState } from '../domain/pool.js'

export interface PoolNumber {
  e164: string
  /** Whose number it is (domain CARRIERS); calls through another carrier's webhook verify nothing. */
  carrier: string
  state: NumberState
  weight: number
  label?: string
  health: NumberHealth
  addedAt: number
  /** Open verifications that point at this number now. */
  pending: number
  /** Calls that reached it today (Japan day), any kind. */
  callsToday: number
  lastCallAt?: number
  /** Handed out since the last call arrived (the pool health job's "silent" signal). */
  allocationsSinceCall: number
  /** Status callbacks today (Japan day) by the carrier's outcome: busy, no-answer, failed, completed… */
  outcomesToday: Record<string, number>
  /** The last status callback's outcome and call duration. */
  lastOutcome?: { status: string; durationSeconds: number; at: number }
}

/** A pool number's state and health only: what the health gauge shows, read in one round trip. */
export type PoolSummary = Pick<PoolNumber, 'e164' | 'carrier' | 'state' | 'health' | 'weight'>

export interface PoolNumberPatch {
  carrier?: string
  state?: NumberState
  weight?: number
  label?: string
  health?: NumberHealth
}

export interface UpdateNumberOptions {
  /**
   * Refuse (FORCE_REQUIRED) a change that leaves no active number with weight > 0, or that
   * moves a retired number out of retirement. Decided inside the store, so two operators
   * draining the last two numbers at once cannot both succeed.
   */
  guard?: boolean
}

export interface CallStatusInput {
  callSid: string
  to: string
  status: string
  durationSeconds: number
  /** The callback's carrier (default twilio): another carrier's number is left alone. */
  carrier?: string
}

export interface DayLock {
  tenant: string
  /** As the caller gave it (E.164); the store keeps only its hash. */
  phoneNumber: string
  /** Failures counted in the current Japan day. */
  failures: number
  /** Next 00:00 Japan time, when locked; absent when not locked. */
  lockedUntil?: number
}

export type { MaintenanceWindow } from '../domain/calendar.js'

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

/** Hours of per-hour call counters a store keeps per pool number (the console's 24-hour chart). */
export const HOURLY_HOURS = 24
export const HOUR_MS = 3_600_000

/** One pool number's calls per hour, oldest first, the last entry the current hour. */
export interface HourlyCalls {
  e164: string
  /** Calls that reached it, any kind (withheld and unmatched included). */
  calls: number[]
  /** Calls that verified a pending verification. */
  verified: number[]
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

export interface StatusEvent {
  id: string
  status: VerificationStatus
}


/** One status change in the outbox: the event, what routes it, nothing personal. */
export interface OutboxEntry {
  /** The outbox's own id of the entry (a Redis stream id): what ack takes. */
  entry: string
  /** The verification id. */
  id: string
  status: VerificationStatus
  tenant: string
  /** It has a callbackUrl. */
  callback: boolean
  /** It had been verified before this (later) status: its `verified` callback goes first. */
  wasVerified: boolean
}

/**
 * The transactional outbox (CONTRACT "Event callbacks"): every status change appends its event in
 * the same atomic step as the change, so no event is lost whoever is listening. Read by a consumer
 * group: each entry goes to one reader, stays pending until acknowledged, and an entry whose reader
 * died is claimed by another once it has been idle long enough. Acknowledged entries are removed.
 */
export interface Outbox {
  /** Up to `count` new entries for `consumer`, waiting up to `blockMs` for the first. */
  read(consumer: string, count: number, blockMs: number): Promise<OutboxEntry[]>
  /** Entries read but not acknowledged for `idleMs` or more, by any consumer, now `consumer`'s. */
  claim(consumer: string, idleMs: number, count: number): Promise<OutboxEntry[]>
  /** Done with: acknowledged and removed from the outbox. */
  ack(entries: string[]): Promise<void>
  /** Entries held (new and pending). */
  length(): Promise<number>
}

export interface Store {
  readonly kind: 'memory' | 'redis'

  /** The store's clock (Redis TIME in Redis mode): windows are judged by it. */
  now(): Promise<number>
  ping(): Promise<void>
  close(): Promise<void>

  /** The events of every status change, appended in the same atomic step as the change (the callbacks' source). */
  readonly outbox: Outbox

  /** Counts one hit on a rate-limit counter (RateCount) and tells where it stands; refuses nothing. */
  hit(key: string, windowMs: number): Promise<Hits>

  createVerification(input: CreateVerificationInput): Promise<Outcome>
  /**
   * Reads one, turning it expired first if its window is over (and counting that failure).
   * Takes `counts` first (RateCount), whether or not the verification exists.
   */
  getVerification(id: string, counts?: RateCount[]): Promise<{ verification: Verification; now: number; changed: Verification[] } | null>
  confirmVerification(id: string, tenant: string): Promise<Outcome>
  cancelVerification(id: string, reason: CancelReason, tenant?: string): Promise<Outcome>
  /**
   * The expiry sweep's step (R3 as an event): expires open verifications whose window is over,
   * counting and publishing each as a read would. At most `limit` per call: a full batch means
   * more may be due.
   */
  expireDue(limit: number): Promise<{ now: number; changed: Verification[] }>

  recordCall(input: RecordCallInput): Promise<CallResult>
  /** R5: a withheld call to a pool number, counted, matching nothing (carrier default twilio). */
  recordWithheldCall(to: string, callSid: string, carrier?: string): Promise<void>
  /** A call status callback; a call with a duration was answered: that number is quarantined. */
  recordCallStatus(input: CallStatusInput): Promise<{ answered: boolean; number: PoolNumber | null }>

  /** Every status change, from any instance sharing this store. Returns the unsubscribe. */
  onStatus(listener: (event: StatusEvent) => void): () => void

  /** Adds each missing number: `+81…` (twilio) or `{ e164, carrier }`. */
  ensurePoolNumbers(numbers: readonly (string | { e164: string; carrier: string })[]): Promise<void>
  listNumbers(): Promise<PoolNumber[]>
  /** Every pool number's state and health, sorted by number, in one round trip (the /metrics gauge). */
  summarizePool(): Promise<PoolSummary[]>
  /** How many numbers are active: O(1) (/readyz, the pool sizing warning). */
  countActiveNumbers(): Promise<number>
  getNumber(e164: string): Promise<PoolNumber | null>
  addNumber(input: { e164: string; carrier?: string; weight?: number; label?: string }): Promise<PoolNumber>
  updateNumber(e164: string, patch: PoolNumberPatch, options?: UpdateNumberOptions): Promise<{ before: PoolNumber; after: PoolNumber }>
  /** The health job's step: marks the number silent if it is 'ok' and was handed out `threshold` times since its last call. */
  markSilent(e164: string, threshold: number): Promise<boolean>

  getLock(tenant: string, phoneNumber: string): Promise<DayLock>
  clearLock(tenant: string, phoneNumber: string): Promise<DayLock>

  listMaintenance(): Promise<MaintenanceWindow[]>
  addMaintenance(window: Omit<MaintenanceWindow, 'id'>): Promise<MaintenanceWindow>
  removeMaintenance(id: string): Promise<MaintenanceWindow | null>

  appendAudit(entry: AuditEntry): Promise<void>
  listAudit(limit: number): Promise<AuditEntry[]>

  /** Calls and verified calls per pool number per hour, the last `hours` (≤ HOURLY_HOURS) hours by the store's clock. */
  hourlyCalls(hours: number): Promise<{ firstHour: number; numbers: HourlyCalls[] }>

  putSession(digest: string, session: AdminSession): Promise<void>
  /** The session, or null once it is deleted or past its expiresAt. */
  getSession(digest: string): Promise<AdminSession | null>
  deleteSession(digest: string): Promise<void>
}

/** Call ids are remembered this long: a captured signed request cannot verify a later window (R15: 30 days). */
export const CALL_ID_TTL_MS = 35 * 86_400_000

export interface StoreOptions {
  lockAfterFailures: number
  retentionMs: number
  /** Customer numbers are kept as HMACs under these keys (domain/phonehash.ts). */
  phoneHash: PhoneHashKeys
  /** The outbox's cap (OUTBOX_MAX_LENGTH): past it the oldest entries go, so it cannot fill the store. */
  outboxMaxLength?: number
}
