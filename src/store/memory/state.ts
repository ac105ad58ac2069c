import { EventEmitter } from 'node:events'
import type { MaintenanceWindow } from '../../domain/calendar.js'
import { japanDayNumber } from '../../domain/japan.js'
import { hashedPhone } from '../../domain/phonehash.js'
import type { Verification } from '../../domain/verification.js'
import type { WeightIndex } from '../allocation.js'
import { createMemoryOutbox, type MemoryOutbox } from '../outbox.js'
import { HOUR_MS, HOURLY_HOURS, type AdminSession, type AuditEntry } from '../roles/ops.js'
import type { NumberRecord } from '../roles/pool.js'
import type { StoreOptions } from '../types.js'

// What the memory store's roles share: one object of maps, read and written by each role's
// steps. A step runs with no await inside, which is what makes it atomic here. Keys join their
// parts with \n (no part holds one); a customer number appears only as its HMAC; a day is the
// Japan day number, as in Redis' keys (domain/japan.ts japanDayNumber).

export interface MemoryStoreOptions extends StoreOptions {
  clock?: () => number
}

export interface MemoryState {
  readonly options: MemoryStoreOptions
  readonly clock: () => number
  readonly verifications: Map<string, Verification>
  /** Verification id → its number's HMAC under the previous key (a rotation). */
  readonly previousHashes: Map<string, string>
  /** Verification ids whose failure is counted; kept off the records, which are answered as they are. */
  readonly failureCounted: Set<string>
  /** tenant + phone hash → newest verification id. */
  readonly latest: Map<string, string>
  /** Caller's hash → pool number → verification id. */
  readonly callers: Map<string, Map<string, string>>
  readonly pool: Map<string, NumberRecord>
  /** Pool number + Japan day → calls. */
  readonly dayCalls: Map<string, number>
  /** Pool number + Japan day → status callbacks by outcome. */
  readonly dayOutcomes: Map<string, Record<string, number>>
  /** Carrier + call id → until when it is remembered. */
  readonly callSids: Map<string, number>
  /** tenant + phone hash + Japan day → failures (R11). */
  readonly failures: Map<string, number>
  /** tenant + phone hash → locked until. */
  readonly locks: Map<string, number>
  /** Rate-limit counters (RateCount). */
  readonly counters: Map<string, { current: number; endsAt: number }>
  maintenance: MaintenanceWindow[]
  readonly audit: AuditEntry[]
  /** Pool number + hour → calls (the console's chart). */
  readonly hourly: Map<string, { calls: number; verified: number }>
  readonly sessions: Map<string, AdminSession>
  readonly events: EventEmitter
  readonly outbox: MemoryOutbox
  lastSweep: number
  /**
   * Allocation's view of the pool (allocation.ts WeightIndex): dropped on every pool change
   * (poolChanged), built again by the next create, so a create never walks the pool.
   */
  allocatable: WeightIndex | undefined
}

export function createMemoryState(options: MemoryStoreOptions): MemoryState {
  return {
    options,
    clock: options.clock ?? Date.now,
    verifications: new Map(),
    previousHashes: new Map(),
    failureCounted: new Set(),
    latest: new Map(),
    callers: new Map(),
    pool: new Map(),
    dayCalls: new Map(),
    dayOutcomes: new Map(),
    callSids: new Map(),
    failures: new Map(),
    locks: new Map(),
    counters: new Map(),
    maintenance: [],
    audit: [],
    hourly: new Map(),
    sessions: new Map(),
    events: new EventEmitter().setMaxListeners(0),
    outbox: createMemoryOutbox(options.outboxMaxLength),
    lastSweep: 0,
    allocatable: undefined,
  }
}

/** Keyed by the number's hash under one key: `phone` is a hash, never a number. */
export const lockKey = (tenant: string, phone: string): string => `${tenant}\n${phone}`

/** A per-day or per-hour counter's key: the Japan day or the hour is its last part (what sweep reads). */
export const periodKey = (key: string, period: number): string => `${key}\n${period}`

/** The hashes a lookup honours: the current key's, then the previous key's during a rotation. */
export function hashesOf(state: MemoryState, e164: string): string[] {
  const { hash, previousHash } = hashedPhone(state.options.phoneHash, e164)
  return previousHash ? [hash, previousHash] : [hash]
}

export function poolChanged(state: MemoryState): void {
  state.allocatable = undefined
}

/** Past its retention a verification is gone, as Redis' TTL makes it there. */
export function retained(state: MemoryState, id: string, now: number): Verification | undefined {
  const v = state.verifications.get(id)
  return v && v.expiresAt + state.options.retentionMs >= now ? v : undefined
}

/**
 * What Redis' TTLs forget, forgotten here at most once a minute (from create, read, hit and
 * putSession). Small, so that it inlines into those steps: a call with the clock's reading
 * would box it on every status poll.
 */
export function sweep(state: MemoryState, now: number): void {
  if (now - state.lastSweep >= 60_000) forget(state, now)
}

function forget(state: MemoryState, now: number): void {
  state.lastSweep = now
  const { verifications, failureCounted, previousHashes } = state
  for (const [id, v] of verifications) {
    if (v.expiresAt + state.options.retentionMs < now) {
      verifications.delete(id)
      failureCounted.delete(id)
      previousHashes.delete(id)
    }
  }
  for (const [sid, at] of state.callSids) if (at < now) state.callSids.delete(sid)
  for (const [key, until] of state.locks) if (until <= now) state.locks.delete(key)
  for (const [key, counter] of state.counters) if (counter.endsAt <= now) state.counters.delete(key)
  for (const [key, session] of state.sessions) if (session.expiresAt <= now) state.sessions.delete(key)
  const oldestHour = Math.floor(now / HOUR_MS) - HOURLY_HOURS
  for (const key of state.hourly.keys()) if (Number(key.slice(key.lastIndexOf('\n') + 1)) < oldestHour) state.hourly.delete(key)
  // Indexes pointing at forgotten verifications, and counters of days gone by, go too.
  for (const [key, id] of state.latest) if (!verifications.has(id)) state.latest.delete(key)
  for (const [caller, byNumber] of state.callers) {
    for (const [to, id] of byNumber) if (!verifications.has(id)) byNumber.delete(to)
    if (byNumber.size === 0) state.callers.delete(caller)
  }
  const yesterday = japanDayNumber(now) - 1
  for (const map of [state.failures, state.dayCalls, state.dayOutcomes]) {
    for (const key of map.keys()) if (Number(key.slice(key.lastIndexOf('\n') + 1)) < yesterday) map.delete(key)
  }
}
