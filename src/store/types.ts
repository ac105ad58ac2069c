import type { PhoneHashKeys } from '../domain/phonehash.js'
import type { CallStore } from './roles/calls.js'
import type { EventStore } from './roles/events.js'
import type { LockStore } from './roles/locks.js'
import type { OpsStore } from './roles/ops.js'
import type { PoolStore } from './roles/pool.js'
import type { VerificationStore } from './roles/verifications.js'

// One Store interface for every store, the sum of its roles (roles/): each consumer
// needs only some of them, and each store implements each role in a module of its own
// (memory/, redis/). Every method that reads and decides is atomic: in memory a synchronous
// step, in Redis one Lua script. Refusals are thrown as CallverifyError with the contract's
// code, the same from both stores (refusals.ts).

export type { CreateVerificationInput, Outcome, VerificationStore } from './roles/verifications.js'
export { CALL_ID_TTL_MS, type CallOutcome, type CallResult, type CallStatusInput, type CallStore, type RecordCallInput } from './roles/calls.js'
export type { PoolEntry, PoolNumber, PoolNumberPatch, PoolStore, PoolSummary, UpdateNumberOptions } from './roles/pool.js'
export type { DayLock, Hits, LockStore, NumberCount, RateCount } from './roles/locks.js'
export { HOUR_MS, HOURLY_HOURS, type AdminSession, type AuditEntry, type HourlyCalls, type OpsStore } from './roles/ops.js'
export type { EventStore, Outbox, OutboxEntry, StatusEvent } from './roles/events.js'
// The states and healths are the domain's (domain/pool.ts); named here too for the stores' callers.
export { NUMBER_STATES, type NumberHealth, type NumberState } from '../domain/pool.js'
export type { MaintenanceWindow } from '../domain/calendar.js'

export interface Store extends VerificationStore, CallStore, PoolStore, LockStore, OpsStore, EventStore {
  readonly kind: 'memory' | 'redis'

  /** The store's clock (Redis TIME in Redis mode): windows are judged by it. */
  now(): Promise<number>
  ping(): Promise<void>
  close(): Promise<void>
}

export interface StoreOptions {
  lockAfterFailures: number
  retentionMs: number
  /** Customer numbers are kept as HMACs under these keys (domain/phonehash.ts). */
  phoneHash: PhoneHashKeys
  /** The outbox's cap (OUTBOX_MAX_LENGTH): past it the oldest entries go, so it cannot fill the store. */
  outboxMaxLength?: number
}
