import { EventEmitter } from 'node:events'
import { randomUUID } from 'node:crypto'
import { DEFAULT_CARRIER, isWrongCarrier } from '../domain/carrier.js'
import { japanDay, nextJapanMidnight } from '../domain/japan.js'
import { isAllocatable, isAnsweredCall, isSilentNumber } from '../domain/pool.js'
import { maskPhoneNumber } from '../domain/phone.js'
import { hashedPhone } from '../domain/phonehash.js'
import {
  applyCall, applyCancel, applyConfirm, applySupersede, countsAsFailure, expireIfDue, isInsideWindow, isOpen,
  type CancelReason, type Transition, type Verification,
} from '../domain/verification.js'
import { openedVerification, pickWeighted, weightIndex, type WeightIndex } from './allocation.js'
import { createMemoryOutbox } from './outbox.js'
import { Refusal, refusalError, refusalOf, withChanged } from './refusals.js'
import { HOUR_MS, HOURLY_HOURS } from './types.js'
import { CALL_ID_TTL_MS } from './types.js'
import type {
  AdminSession, AuditEntry, CallResult, CallStatusInput, CreateVerificationInput, DayLock, Hits, MaintenanceWindow, Outcome,
  PoolNumber, PoolNumberPatch, RateCount, RecordCallInput, StatusEvent, Store, StoreOptions,
} from './types.js'

// The embedded store: one process, no persistence, an injectable clock. Each method runs as
// one synchronous step (no await inside), which is what makes it atomic here. Customer numbers
// are kept as their HMAC (domain/phonehash.ts), as in Redis: the same code answers both keys of
// a rotation, although a memory store's rotation is a restart, which keeps nothing.

type NumberRecord = Omit<PoolNumber, 'pending' | 'callsToday' | 'outcomesToday'>

const AUDIT_CAP = 1000

export interface MemoryStoreOptions extends StoreOptions {
  clock?: () => number
}

export function createMemoryStore(options: MemoryStoreOptions): Store {
  const clock = options.clock ?? Date.now
  const verifications = new Map<string, Verification>()
  const previousHashes = new Map<string, string>() // verification id → its number's HMAC under the previous key (a rotation)
  const outbox = createMemoryOutbox(options.outboxMaxLength)
  const failureCounted = new Set<string>() // verification ids; kept off the records, which are answered as they are
  const latest = new Map<string, string>() // tenant+phone hash → newest verification id
  const callers = new Map<string, Map<string, string>>() // caller's hash → pool number → verification id
  const pool = new Map<string, NumberRecord>()
  const dayCalls = new Map<string, number>()
  const dayOutcomes = new Map<string, Record<string, number>>() // pool number + Japan day → status callbacks by outcome
  const callSids = new Map<string, number>()
  const failures = new Map<string, number>()
  const locks = new Map<string, number>()
  const counters = new Map<string, { current: number; endsAt: number }>() // rate-limit counters (RateCount)
  let maintenance: MaintenanceWindow[] = []
  const audit: AuditEntry[] = []
  const hourly = new Map<string, { calls: number; verified: number }>() // pool number + hour → calls (the console's chart)
  const sessions = new Map<string, AdminSession>()
  const events = new EventEmitter().setMaxListeners(0)
  let lastSweep = 0
  // Allocation's view of the pool (allocation.ts WeightIndex): dropped on every pool change,
  // built again by the next create, so a create never walks the pool.
  let allocatable: WeightIndex | undefined
  const poolChanged = (): void => {
    allocatable = undefined
  }

  /** Keyed by the number's hash under one key: `phone` is a hash, never a number. */
  const lockKey = (tenant: string, phone: string) => `${tenant}\n${phone}`
  /** The hashes a lookup honours: the current key's, then the previous key's during a rotation. */
  const hashesOf = (e164: string): string[] => {
    const { hash, previousHash } = hashedPhone(options.phoneHash, e164)
    return previousHash ? [hash, previousHash] : [hash]
  }

  function publish(v: Verification): void {
    outbox.append(v)
    const event: StatusEvent = { id: v.id, status: v.status }
    queueMicrotask(() => events.emit('status', event))
  }

  function lockedUntil(tenant: string, hashes: string[], now: number): number | undefined {
    let until: number | undefined
    for (const hash of hashes) {
      const at = locks.get(lockKey(tenant, hash))
      if (at !== undefined && at > now) until = Math.max(until ?? 0, at)
    }
    return until
  }

  /** R11: a verification that ended unconfirmed counts once, in the Japan day it began. */
  function countFailure(v: Verification, now: number): void {
    if (failureCounted.has(v.id) || !countsAsFailure(v.status)) return
    failureCounted.add(v.id)
    const day = japanDay(v.createdAt)
    const key = `${lockKey(v.tenant, v.phoneHash)}\n${day}`
    failures.set(key, (failures.get(key) ?? 0) + 1)
    // During a rotation the day's count under the previous key's hash counts too (as count_failure in Lua).
    const previous = previousHashes.get(v.id)
    const count = failures.get(key)! + (previous ? failures.get(`${lockKey(v.tenant, previous)}\n${day}`) ?? 0 : 0)
    if (count >= options.lockAfterFailures && day === japanDay(now)) locks.set(lockKey(v.tenant, v.phoneHash), nextJapanMidnight(now))
  }

  function hit(key: string, windowMs: number, now: number): Hits {
    let counter = counters.get(key)
    if (!counter || counter.endsAt <= now) counters.set(key, (counter = { current: 0, endsAt: now + windowMs }))
    counter.current++
    return { current: counter.current, ttlMs: counter.endsAt - now }
  }

  /** Takes the counts in order; the first past its max refuses the step. */
  function take(counts: RateCount[] | undefined, now: number): void {
    for (const count of counts ?? []) {
      const hits = hit(count.key, count.windowMs, now)
      const before = count.previousKey === undefined ? undefined : counters.get(count.previousKey)
      const previous = before && before.endsAt > now ? before.current : 0
      if (hits.current + previous > count.max) throw refusalError(Refusal.RateLimited, { retryAfterMs: hits.ttlMs })
    }
  }

  function commit(before: Verification, after: Verification, now: number, changed: Verification[]): Verification {
    const record = verifications.get(before.id)!
    const statusChanged = before.status !== after.status
    Object.assign(record, after)
    if (statusChanged) {
      countFailure(record, now)
      changed.push({ ...record })
      publish(record)
    }
    return record
  }

  function sweep(now: number): void {
    if (now - lastSweep < 60_000) return
    lastSweep = now
    for (const [id, v] of verifications) {
      if (v.expiresAt + options.retentionMs < now) {
        verifications.delete(id)
        failureCounted.delete(id)
        previousHashes.delete(id)
      }
    }
    for (const [sid, at] of callSids) if (at < now) callSids.delete(sid)
    for (const [key, until] of locks) if (until <= now) locks.delete(key)
    for (const [key, counter] of counters) if (counter.endsAt <= now) counters.delete(key)
    for (const [key, session] of sessions) if (session.expiresAt <= now) sessions.delete(key)
    const oldestHour = Math.floor(now / HOUR_MS) - HOURLY_HOURS
    for (const key of hourly.keys()) if (Number(key.slice(key.lastIndexOf('\n') + 1)) < oldestHour) hourly.delete(key)
    // Indexes pointing at forgotten verifications, and counters of days gone by, go too.
    for (const [key, id] of latest) if (!verifications.has(id)) latest.delete(key)
    for (const [caller, byNumber] of callers) {
      for (const [to, id] of byNumber) if (!verifications.has(id)) byNumber.delete(to)
      if (byNumber.size === 0) callers.delete(caller)
    }
    const yesterday = japanDay(now - 86_400_000)
    for (const map of [failures, dayCalls, dayOutcomes]) {
      for (const key of map.keys()) if (key.slice(key.lastIndexOf('\n') + 1) < yesterday) map.delete(key)
    }
  }

  /** Past its retention a verification is gone, as Redis' TTL makes it there. */
  function retained(id: string, now: number): Verification | undefined {
    const v = verifications.get(id)
    return v && v.expiresAt + options.retentionMs >= now ? v : undefined
  }

  /** The verification a caller (any of its hashes) holds on pool number `to`, the current key's first. */
  function heldOn(hashes: string[], to: string): Verification | undefined {
    for (const hash of hashes) {
      const id = callers.get(hash)?.get(to)
      const v = id ? verifications.get(id) : undefined
      if (v) return v
    }
    return undefined
  }

  function openVerificationOn(hashes: string[], to: string, now: number): Verification | undefined {
    const v = heldOn(hashes, to)
    return v && isOpen(v.status) && isInsideWindow(v, now) ? v : undefined
  }

  function numberView(record: NumberRecord, now: number): PoolNumber {
    let pending = 0
    for (const v of verifications.values()) {
      if (v.verificationNumber === record.e164 && isOpen(v.status) && isInsideWindow(v, now)) pending++
    }
    const day = japanDay(now)
    return { ...record, pending, callsToday: dayCalls.get(`${record.e164}\n${day}`) ?? 0, outcomesToday: { ...dayOutcomes.get(`${record.e164}\n${day}`) } }
  }

  function dayLock(tenant: string, phoneNumber: string, now: number): DayLock {
    const hashes = hashesOf(phoneNumber)
    const until = lockedUntil(tenant, hashes, now)
    const count = hashes.reduce((sum, hash) => sum + (failures.get(`${lockKey(tenant, hash)}\n${japanDay(now)}`) ?? 0), 0)
    return { tenant, phoneNumber, failures: count, ...(until ? { lockedUntil: until } : {}) }
  }

  return {
    kind: 'memory',
    outbox,
    async now() {
      return clock()
    },
    async ping() {},
    async close() {
      events.removeAllListeners()
      outbox.close()
    },

    async hit(key, windowMs) {
      const now = clock()
      sweep(now)
      return hit(key, windowMs, now)
    },

    async createVerification(input: CreateVerificationInput): Promise<Outcome> {
      const now = clock()
      sweep(now)
      take(input.counts, now)
      const hashes = hashesOf(input.phoneNumber)
      const [hash, previousHash] = hashes as [string, string | undefined]
      const key = lockKey(input.tenant, hash)
      let until = lockedUntil(input.tenant, hashes, now)
      if (until) throw refusalError(Refusal.Locked, { lockedUntil: until, now })
      const changed: Verification[] = []
      // A new verification supersedes the tenant's older open one for this number (opened under
      // either key); one whose window already ran out ends as expired instead (R11 counts either
      // way, at the latest here).
      const olderId = latest.get(key) ?? (previousHash ? latest.get(lockKey(input.tenant, previousHash)) : undefined)
      const older = olderId ? verifications.get(olderId) : undefined
      if (older && isOpen(older.status)) commit(older, applySupersede(older, now), now, changed)
      until = lockedUntil(input.tenant, hashes, now)
      if (until) throw withChanged(refusalError(Refusal.Locked, { lockedUntil: until, now }), changed)

      allocatable ??= weightIndex([...pool.values()].filter(isAllocatable).map((n) => ({ key: n.e164, weight: n.weight })))
      const held = new Set(hashes.flatMap((h) => [...(callers.get(h)?.keys() ?? [])]))
      const chosen = pickWeighted(allocatable, [...held].filter((to) => openVerificationOn(hashes, to, now)), input.random)
      if (!chosen) throw refusalError(Refusal.PoolExhausted)
      const verification = openedVerification(input, { hash, masked: maskPhoneNumber(input.phoneNumber) }, chosen, now)
      verifications.set(verification.id, { ...verification })
      if (previousHash) previousHashes.set(verification.id, previousHash)
      latest.set(key, verification.id)
      const byNumber = callers.get(hash) ?? new Map<string, string>()
      byNumber.set(chosen, verification.id)
      callers.set(hash, byNumber)
      pool.get(chosen)!.allocationsSinceCall++
      return { verification, now, changed }
    },

    async getVerification(id, counts) {
      const now = clock()
      sweep(now)
      take(counts, now)
      const record = retained(id, now)
      if (!record) return null
      const changed: Verification[] = []
      const v = commit(record, expireIfDue(record, now), now, changed)
      return { verification: { ...v }, now, changed }
    },

    async confirmVerification(id, tenant) {
      return transition(id, tenant, (v, now) => applyConfirm(v, now))
    },

    async cancelVerification(id, reason: CancelReason, tenant?: string) {
      return transition(id, tenant, (v, now) => applyCancel(v, now, reason))
    },

    async expireDue(limit) {
      const now = clock()
      const changed: Verification[] = []
      for (const record of verifications.values()) {
        if (changed.length >= limit) break
        // Past retention it is gone, as its hash is in Redis: nothing left to expire.
        if (isOpen(record.status) && record.expiresAt <= now && retained(record.id, now)) commit(record, expireIfDue(record, now), now, changed)
      }
      return { now, changed }
    },

    async recordCall(input: RecordCallInput): Promise<CallResult> {
      const now = clock()
      const changed: Verification[] = []
      if (!firstSighting(input.carrier, input.callSid, now)) return { outcome: 'duplicate', now, changed }
      const number = pool.get(input.to)
      if (!number || number.state === 'retired') return { outcome: 'unknown-number', now, changed }
      if (isWrongCarrier(number.carrier, input.carrier)) return { outcome: 'wrong-carrier', now, changed }
      noteCall(number, now)
      const record = heldOn(hashesOf(input.from), input.to)
      if (!record) return { outcome: 'unmatched', now, changed }
      if (record.status === 'pending' && isInsideWindow(record, now) && input.refusingTenants?.includes(record.tenant)) {
        return { outcome: 'attestation-refused', now, changed }
      }
      const t = applyCall(record, now)
      if (t.ok && t.changed && input.attestation) t.verification.callerAttestation = input.attestation
      commit(record, t.verification, now, changed)
      if (t.ok && t.changed) hourCount(number, now).verified++
      if (t.ok) return { outcome: t.changed ? 'verified' : 'repeat', now, changed }
      return { outcome: t.refusal === 'VERIFICATION_EXPIRED' ? 'expired' : 'unmatched', now, changed }
    },

    async recordWithheldCall(to, callSid, carrier) {
      const now = clock()
      if (!firstSighting(carrier, callSid, now)) return
      const number = pool.get(to)
      if (number && number.state !== 'retired' && !isWrongCarrier(number.carrier, carrier)) noteCall(number, now)
    },

    async recordCallStatus(input: CallStatusInput) {
      const found = pool.get(input.to)
      // Another carrier's callback cannot quarantine this number (one leaked secret, one carrier).
      const number = found && !isWrongCarrier(found.carrier, input.carrier) ? found : undefined
      if (!number) return { answered: isAnsweredCall(input.durationSeconds), number: null }
      const now = clock()
      const key = `${number.e164}\n${japanDay(now)}`
      const outcomes = dayOutcomes.get(key) ?? {}
      outcomes[input.status] = (outcomes[input.status] ?? 0) + 1
      dayOutcomes.set(key, outcomes)
      number.lastOutcome = { status: input.status, durationSeconds: input.durationSeconds, at: now }
      const answered = isAnsweredCall(input.durationSeconds)
      if (answered) {
        number.health = 'answered'
        if (number.state !== 'retired') number.state = 'quarantined'
        poolChanged()
      }
      return { answered, number: numberView(number, now) }
    },

    onStatus(listener: (event: StatusEvent) => void) {
      events.on('status', listener)
      return () => events.off('status', listener)
    },

    async ensurePoolNumbers(numbers) {
      const now = clock()
      for (const entry of numbers) {
        const { e164, carrier } = typeof entry === 'string' ? { e164: entry, carrier: DEFAULT_CARRIER } : entry
        if (!pool.has(e164)) pool.set(e164, { e164, carrier, state: 'active', weight: 1, health: 'ok', addedAt: now, allocationsSinceCall: 0 })
      }
      poolChanged()
    },
    async listNumbers() {
      const now = clock()
      return [...pool.values()].sort((a, b) => a.e164.localeCompare(b.e164)).map((n) => numberView(n, now))
    },
    async summarizePool() {
      return [...pool.values()].sort((a, b) => a.e164.localeCompare(b.e164)).map(({ e164, carrier, state, health, weight }) => ({ e164, carrier, state, health, weight }))
    },
    async countActiveNumbers() {
      let active = 0
      for (const n of pool.values()) if (n.state === 'active') active++
      return active
    },
    async getNumber(e164) {
      const n = pool.get(e164)
      return n ? numberView(n, clock()) : null
    },
    async addNumber(input) {
      if (pool.has(input.e164)) throw refusalError(Refusal.NumberExists)
      const now = clock()
      const record: NumberRecord = {
        e164: input.e164, carrier: input.carrier ?? DEFAULT_CARRIER, state: 'active', weight: input.weight ?? 1, health: 'ok', addedAt: now, allocationsSinceCall: 0,
        ...(input.label !== undefined ? { label: input.label } : {}),
      }
      pool.set(input.e164, record)
      poolChanged()
      return numberView(record, now)
    },
    async updateNumber(e164, patch: PoolNumberPatch, options = {}) {
      const record = pool.get(e164)
      if (!record) throw refusalError(Refusal.NumberUnknown)
      const now = clock()
      const before = numberView(record, now)
      if (options.guard) guardUpdate(record, patch)
      Object.assign(record, Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)))
      if (patch.label === '') delete record.label // an empty label clears it, as in Redis (updateNumber-2.lua)
      poolChanged()
      return { before, after: numberView(record, now) }
    },

    async markSilent(e164, threshold) {
      const n = pool.get(e164)
      if (!n || !isSilentNumber(n, threshold)) return false
      n.health = 'silent'
      return true
    },

    async getLock(tenant, phoneNumber) {
      return dayLock(tenant, phoneNumber, clock())
    },
    async clearLock(tenant, phoneNumber) {
      const now = clock()
      const before = dayLock(tenant, phoneNumber, now)
      for (const hash of hashesOf(phoneNumber)) {
        locks.delete(lockKey(tenant, hash))
        failures.delete(`${lockKey(tenant, hash)}\n${japanDay(now)}`)
      }
      return before
    },

    async listMaintenance() {
      const now = clock()
      maintenance = maintenance.filter((m) => m.endsAt > now)
      return [...maintenance].sort((a, b) => a.startsAt - b.startsAt)
    },
    async addMaintenance(window) {
      const created = { ...window, id: `mw_${randomUUID()}` }
      maintenance.push(created)
      return created
    },
    async removeMaintenance(id) {
      const found = maintenance.find((m) => m.id === id) ?? null
      maintenance = maintenance.filter((m) => m.id !== id)
      return found
    },

    async appendAudit(entry) {
      audit.unshift(entry)
      audit.length = Math.min(audit.length, AUDIT_CAP)
    },
    async listAudit(limit) {
      return audit.slice(0, limit)
    },

    async hourlyCalls(hours) {
      const now = clock()
      const firstHour = Math.floor(now / HOUR_MS) - Math.min(hours, HOURLY_HOURS) + 1
      const span = Array.from({ length: Math.min(hours, HOURLY_HOURS) }, (_, i) => firstHour + i)
      const numbers = [...pool.keys()].sort().map((e164) => {
        const counts = span.map((hour) => hourly.get(`${e164}\n${hour}`))
        return { e164, calls: counts.map((c) => c?.calls ?? 0), verified: counts.map((c) => c?.verified ?? 0) }
      })
      return { firstHour: firstHour * HOUR_MS, numbers }
    },

    async putSession(digest, session) {
      sweep(clock())
      sessions.set(digest, { ...session })
    },
    async getSession(digest) {
      const session = sessions.get(digest)
      if (!session || session.expiresAt <= clock()) return null
      return { ...session }
    },
    async deleteSession(digest) {
      sessions.delete(digest)
    },
  }

  /** This hour's counters of a pool number (the console's chart). */
  function hourCount(number: NumberRecord, now: number): { calls: number; verified: number } {
    const key = `${number.e164}\n${Math.floor(now / HOUR_MS)}`
    let count = hourly.get(key)
    if (!count) hourly.set(key, (count = { calls: 0, verified: 0 }))
    return count
  }

  /** UpdateNumberOptions.guard: the twin of the guard in updateNumber-2.lua. */
  function guardUpdate(record: NumberRecord, patch: PoolNumberPatch): void {
    const after = { ...record, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) }
    if (record.state === 'retired' && after.state !== 'retired') throw refusalError(Refusal.Retired)
    if (isAllocatable(record) && !isAllocatable(after) && ![...pool.values()].some((n) => n !== record && isAllocatable(n))) {
      throw refusalError(Refusal.LastActive)
    }
  }

  /** The carrier retries a webhook it got no answer to: a call id counts once per carrier. */
  function firstSighting(carrier: string | undefined, callId: string, now: number): boolean {
    const key = `${carrier ?? DEFAULT_CARRIER}\n${callId}`
    if (callSids.has(key)) return false
    callSids.set(key, now + CALL_ID_TTL_MS)
    return true
  }

  function noteCall(number: NumberRecord, now: number): void {
    const key = `${number.e164}\n${japanDay(now)}`
    dayCalls.set(key, (dayCalls.get(key) ?? 0) + 1)
    hourCount(number, now).calls++
    number.lastCallAt = now
    number.allocationsSinceCall = 0
    if (number.health === 'silent') number.health = 'ok'
  }

  function transition(id: string, tenant: string | undefined, step: (v: Verification, now: number) => Transition): Outcome {
    const record = verifications.get(id)
    if (!record || (tenant !== undefined && record.tenant !== tenant)) throw refusalError(Refusal.NotFound)
    const now = clock()
    const changed: Verification[] = []
    const t = step(record, now)
    commit(record, t.verification, now, changed)
    if (!t.ok) throw withChanged(refusalError(refusalOf(t.refusal)), changed)
    return { verification: { ...record }, now, changed }
  }
}
