import { maskPhoneNumber } from '../../domain/phone.js'
import { isAllocatable } from '../../domain/pool.js'
import {
  applyCancel, applyConfirm, applySupersede, expireIfDue, isInsideWindow, isOpen, type Transition, type Verification,
} from '../../domain/verification.js'
import { openedVerification, pickWeighted, weightIndex } from '../allocation.js'
import { Refusal, refusalError, refusalOf, withChanged } from '../refusals.js'
import type { Outcome, VerificationStore } from '../roles/verifications.js'
import { publish } from './events.js'
import { countFailure, lockedUntil, takeCounts, takeNumberCount } from './locks.js'
import { hashesOf, lockKey, retained, sweep, type MemoryState } from './state.js'

// The verifications role in memory: the domain's transitions (domain/verification.ts) applied
// to the records in one synchronous step each, the twins of the verification scripts (lua/).

/** Applies a transition's result to the record; a status change is counted (R11), published and reported. */
export function commit(state: MemoryState, before: Verification, after: Verification, now: number, changed: Verification[]): Verification {
  const record = state.verifications.get(before.id)!
  const statusChanged = before.status !== after.status
  Object.assign(record, after)
  if (statusChanged) {
    countFailure(state, record, now)
    changed.push({ ...record })
    publish(state, record)
  }
  return record
}

/** The verification a caller (any of its hashes) holds on pool number `to`, the current key's first. */
export function heldOn(state: MemoryState, hashes: string[], to: string): Verification | undefined {
  for (const hash of hashes) {
    const id = state.callers.get(hash)?.get(to)
    const v = id ? state.verifications.get(id) : undefined
    if (v) return v
  }
  return undefined
}

function openVerificationOn(state: MemoryState, hashes: string[], to: string, now: number): Verification | undefined {
  const v = heldOn(state, hashes, to)
  return v && isOpen(v.status) && isInsideWindow(v, now) ? v : undefined
}

/** Confirm and cancel: the tenant's own (any tenant's for a poll token), one transition. */
function transition(state: MemoryState, id: string, tenant: string | undefined, step: (v: Verification, now: number) => Transition): Outcome {
  const record = state.verifications.get(id)
  if (!record || (tenant !== undefined && record.tenant !== tenant)) throw refusalError(Refusal.NotFound)
  const now = state.clock()
  const changed: Verification[] = []
  const t = step(record, now)
  commit(state, record, t.verification, now, changed)
  if (!t.ok) throw withChanged(refusalError(refusalOf(t.refusal)), changed)
  return { verification: { ...record }, now, changed }
}

export function memoryVerifications(state: MemoryState): VerificationStore {
  const { verifications } = state
  return {
    async createVerification(input) {
      const now = state.clock()
      sweep(state, now)
      takeCounts(state, input.counts, now)
      const hashes = hashesOf(state, input.phoneNumber)
      takeNumberCount(state, input.tenant, hashes, input.numberCount, now)
      const [hash, previousHash] = hashes as [string, string | undefined]
      const key = lockKey(input.tenant, hash)
      let until = lockedUntil(state, input.tenant, hashes, now)
      if (until) throw refusalError(Refusal.Locked, { lockedUntil: until, now })
      const changed: Verification[] = []
      // A new verification supersedes the tenant's older open one for this number (opened under
      // either key); one whose window already ran out ends as expired instead (R11 counts either
      // way, at the latest here).
      const olderId = state.latest.get(key) ?? (previousHash ? state.latest.get(lockKey(input.tenant, previousHash)) : undefined)
      const older = olderId ? verifications.get(olderId) : undefined
      if (older && isOpen(older.status)) commit(state, older, applySupersede(older, now), now, changed)
      until = lockedUntil(state, input.tenant, hashes, now)
      if (until) throw withChanged(refusalError(Refusal.Locked, { lockedUntil: until, now }), changed)

      state.allocatable ??= weightIndex([...state.pool.values()].filter(isAllocatable).map((n) => ({ key: n.e164, weight: n.weight })))
      const held = new Set(hashes.flatMap((h) => [...(state.callers.get(h)?.keys() ?? [])]))
      const chosen = pickWeighted(state.allocatable, [...held].filter((to) => openVerificationOn(state, hashes, to, now)), input.random)
      if (!chosen) throw refusalError(Refusal.PoolExhausted)
      const verification = openedVerification(input, { hash, masked: maskPhoneNumber(input.phoneNumber) }, chosen, now)
      verifications.set(verification.id, { ...verification })
      if (previousHash) state.previousHashes.set(verification.id, previousHash)
      state.latest.set(key, verification.id)
      const byNumber = state.callers.get(hash) ?? new Map<string, string>()
      byNumber.set(chosen, verification.id)
      state.callers.set(hash, byNumber)
      state.pool.get(chosen)!.allocationsSinceCall++
      return { verification, now, changed }
    },

    async getVerification(id, counts) {
      const now = state.clock()
      sweep(state, now)
      takeCounts(state, counts, now)
      const record = retained(state, id, now)
      if (!record) return null
      const changed: Verification[] = []
      const v = commit(state, record, expireIfDue(record, now), now, changed)
      return { verification: { ...v }, now, changed }
    },

    async confirmVerification(id, tenant) {
      return transition(state, id, tenant, applyConfirm)
    },

    async cancelVerification(id, reason, tenant) {
      return transition(state, id, tenant, (v, now) => applyCancel(v, now, reason))
    },

    async expireDue(limit) {
      const now = state.clock()
      const changed: Verification[] = []
      for (const record of verifications.values()) {
        if (changed.length >= limit) break
        // Past retention it is gone, as its hash is in Redis: nothing left to expire.
        if (isOpen(record.status) && record.expiresAt <= now && retained(state, record.id, now)) commit(state, record, expireIfDue(record, now), now, changed)
      }
      return { now, changed }
    },
  }
}
