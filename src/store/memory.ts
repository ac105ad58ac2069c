import { EventEmitter } from 'node:events'
import { randomUUID } from 'node:crypto'
import { DEFAULT_CARRIER, isWrongCarrier } from '../domain/carrier.js'
import { japanDay, nextJapanMidnight } from '../domain/japan.js'
import {
  applyCall, applyCancel, applyConfirm, countsAsFailure, expireIfDue, isInsideWindow, isOpen,
  type CancelReason, type Transition, type Verification,
} from '../domain/verification.js'
import { openedVerification, pickWeighted } from './allocation.js'
import { Refusal, refusalError, refusalOf, withChanged } from './refusals.js'
import { CALL_ID_TTL_MS } from './types.js'
import type {
  AuditEntry, CallResult, CallStatusInput, CreateVerificationInput, DayLock, Hits, MaintenanceWindow, Outcome,
  PoolNumber, PoolNumberPatch, RateCount, RecordCallInput, StatusEvent, Store, StoreOptions,
} from './types.js'

// The embedded store: one process, no persistence, an injectable clock. Each method runs as
// one synchronous step (no await inside), which is what makes it atomic here.

type NumberRecord = Omit<PoolNumber, 'pending' | 'callsToday' | 'outcomesToday'>

const AUDIT_CAP = 1000

export interface MemoryStoreOptions extends StoreOptions {
  clock?: () => number
}

export function createMemoryStore(options: MemoryStoreOptions): Store {
  const clock = options.clock ?? Date.now
  const verifications = new Map<string, Verification>()
  const failureCounted = new Set<string>() // verification ids; kept off the records, which are answered as they are
  const latest = new Map<string, string>() // tenant+phone → newest verification id
  const callers = new Map<string, Map<string, string>>() // caller → pool number → verification id
  const pool = new Map<string, NumberRecord>()
  const dayCalls = new Map<string, number>()
  const dayOutcomes = new Map<string, Record<string, number>>() // pool number + Japan day → status callbacks by outcome
  const callSids = new Map<string, number>()
  const failures = new Map<string, number>()
  const locks = new Map<string, number>()
  const counters = new Map<string, { current: number; endsAt: number }>() // rate-limit counters (RateCount)
  let maintenance: MaintenanceWindow[] = []
  const audit: AuditEntry[] = []
  const events = new EventEmitter().setMaxListeners(0)
  let lastSweep = 0

  const lockKey = (tenant: string, phone: string) => `${tenant}\n${phone}`

  function publish(v: Verification): void {
    const event: StatusEvent = { id: v.id, status: v.status }
    queueMicrotask(() => events.emit('status', event))
  }

  function lockedUntil(tenant: string, phone: string, now: number): number | undefined {
    const until = locks.get(lockKey(tenant, phone))
    return until !== undefined && until > now ? until : undefined
  }

  /** R11: a verification that ended unconfirmed counts once, in the Japan day it began. */
  function countFailure(v: Verification, now: number): void {
    if (failureCounted.has(v.id) || !countsAsFailure(v.status)) return
    failureCounted.add(v.id)
    const day = japanDay(v.createdAt)
    const key = `${lockKey(v.tenant, v.phoneNumber)}\n${day}`
    const count = (failures.get(key) ?? 0) + 1
    failures.set(key, count)
    if (count >= options.lockAfterFailures && day === japanDay(now)) locks.set(lockKey(v.tenant, v.phoneNumber), nextJapanMidnight(now))
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
      if (hits.current > count.max) throw refusalError(Refusal.RateLimited, { retryAfterMs: hits.ttlMs })
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
      }
    }
    for (const [sid, at] of callSids) if (at < now) callSids.delete(sid)
    for (const [key, until] of locks) if (until <= now) locks.delete(key)
    for (const [key, counter] of counters) if (counter.endsAt <= now) counters.delete(key)
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

  function openVerificationOn(caller: string, to: string, now: number): Verification | undefined {
    const id = callers.get(caller)?.get(to)
    const v = id ? verifications.get(id) : undefined
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
    const until = lockedUntil(tenant, phoneNumber, now)
    const count = failures.get(`${lockKey(tenant, phoneNumber)}\n${japanDay(now)}`) ?? 0
    return { tenant, phoneNumber, failures: count, ...(until ? { lockedUntil: until } : {}) }
  }

  return {
    kind: 'memory',
    async now() {
      return clock()
    },
    async ping() {},
    async close() {
      events.removeAllListeners()
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
      const key = lockKey(input.tenant, input.phoneNumber)
      let until = lockedUntil(input.tenant, input.phoneNumber, now)
      if (until) throw refusalError(Refusal.Locked, { lockedUntil: until, now })
      const changed: Verification[] = []
      // A new verification supersedes the tenant's older open one for this number; one whose
      // window already ran out ends as expired instead (R11 counts either way, at the latest here).
      const olderId = latest.get(key)
      const older = olderId ? verifications.get(olderId) : undefined
      if (older && isOpen(older.status)) {
        const due = expireIfDue(older, now)
        const after = due.status === 'expired' ? due : { ...older, status: 'cancelled' as const, cancelledAt: now, cancelReason: 'superseded' as const }
        commit(older, after, now, changed)
      }
      until = lockedUntil(input.tenant, input.phoneNumber, now)
      if (until) throw withChanged(refusalError(Refusal.Locked, { lockedUntil: until, now }), changed)

      const candidates = [...pool.values()].filter((n) => n.state === 'active' && n.weight > 0 && !openVerificationOn(input.phoneNumber, n.e164, now))
      const chosen = pickWeighted(candidates.map((n) => ({ key: n.e164, weight: n.weight })), input.random)
      if (!chosen) throw refusalError(Refusal.PoolExhausted)
      const verification = openedVerification(input, chosen, now)
      verifications.set(verification.id, { ...verification })
      latest.set(key, verification.id)
      const byNumber = callers.get(input.phoneNumber) ?? new Map<string, string>()
      byNumber.set(chosen, verification.id)
      callers.set(input.phoneNumber, byNumber)
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
      const id = callers.get(input.from)?.get(input.to)
      const record = id ? verifications.get(id) : undefined
      if (!record) return { outcome: 'unmatched', now, changed }
      if (record.status === 'pending' && isInsideWindow(record, now) && input.refusingTenants?.includes(record.tenant)) {
        return { outcome: 'attestation-refused', now, changed }
      }
      const t = applyCall(record, now)
      if (t.ok && t.changed && input.attestation) t.verification.callerAttestation = input.attestation
      commit(record, t.verification, now, changed)
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
      if (!number) return { answered: input.durationSeconds > 0, number: null }
      const now = clock()
      const key = `${number.e164}\n${japanDay(now)}`
      const outcomes = dayOutcomes.get(key) ?? {}
      outcomes[input.status] = (outcomes[input.status] ?? 0) + 1
      dayOutcomes.set(key, outcomes)
      number.lastOutcome = { status: input.status, durationSeconds: input.durationSeconds, at: now }
      const answered = input.durationSeconds > 0
      if (answered) {
        number.health = 'answered'
        if (number.state !== 'retired') number.state = 'quarantined'
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
    },
    async listNumbers() {
      const now = clock()
      return [...pool.values()].sort((a, b) => a.e164.localeCompare(b.e164)).map((n) => numberView(n, now))
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
      return { before, after: numberView(record, now) }
    },

    async markSilent(e164, threshold) {
      const n = pool.get(e164)
      if (!n || n.state === 'retired' || n.health !== 'ok' || n.allocationsSinceCall < threshold) return false
      n.health = 'silent'
      return true
    },

    async getLock(tenant, phoneNumber) {
      return dayLock(tenant, phoneNumber, clock())
    },
    async clearLock(tenant, phoneNumber) {
      const now = clock()
      const before = dayLock(tenant, phoneNumber, now)
      locks.delete(lockKey(tenant, phoneNumber))
      failures.delete(`${lockKey(tenant, phoneNumber)}\n${japanDay(now)}`)
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
  }

  /** UpdateNumberOptions.guard: the twin of the guard in updateNumber-2.lua. */
  function guardUpdate(record: NumberRecord, patch: PoolNumberPatch): void {
    const after = { ...record, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) }
    if (record.state === 'retired' && after.state !== 'retired') throw refusalError(Refusal.Retired)
    const allocatable = (n: NumberRecord) => n.state === 'active' && n.weight > 0
    if (allocatable(record) && !allocatable(after) && ![...pool.values()].some((n) => n !== record && allocatable(n))) {
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
