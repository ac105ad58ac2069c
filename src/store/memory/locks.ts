import { japanDayNumber, nextJapanMidnight } from '../../domain/japan.js'
import { countsAsFailure, type Verification } from '../../domain/verification.js'
import { Refusal, refusalError } from '../refusals.js'
import type { DayLock, Hits, LockStore, NumberCount, RateCount } from '../roles/locks.js'
import { periodKey, hashesOf, lockKey, sweep, type MemoryState } from './state.js'

// The locks and counts role in memory: the day lock (R11) and the rate-limit counters, with the
// steps of the other roles that take them (a create's lock check and counts, a failure's count).

/** The latest lock on any of a number's hashes (a rotation honours both), if it is still on. */
export function lockedUntil(state: MemoryState, tenant: string, hashes: string[], now: number): number | undefined {
  let until: number | undefined
  for (const hash of hashes) {
    const at = state.locks.get(lockKey(tenant, hash))
    if (at !== undefined && at > now) until = Math.max(until ?? 0, at)
  }
  return until
}

/** R11: a verification that ended unconfirmed counts once, in the Japan day it began. */
export function countFailure(state: MemoryState, v: Verification, now: number): void {
  if (state.failureCounted.has(v.id) || !countsAsFailure(v.status)) return
  state.failureCounted.add(v.id)
  const { failures } = state
  const day = japanDayNumber(v.createdAt)
  const key = periodKey(lockKey(v.tenant, v.phoneHash), day)
  failures.set(key, (failures.get(key) ?? 0) + 1)
  // During a rotation the day's count under the previous key's hash counts too (as count_failure in Lua).
  const previous = state.previousHashes.get(v.id)
  const count = failures.get(key)! + (previous ? failures.get(periodKey(lockKey(v.tenant, previous), day)) ?? 0 : 0)
  if (count >= state.options.lockAfterFailures && day === japanDayNumber(now)) state.locks.set(lockKey(v.tenant, v.phoneHash), nextJapanMidnight(now))
}

function hit(state: MemoryState, key: string, windowMs: number, now: number): Hits {
  let counter = state.counters.get(key)
  if (!counter || counter.endsAt <= now) state.counters.set(key, (counter = { current: 0, endsAt: now + windowMs }))
  counter.current++
  return { current: counter.current, ttlMs: counter.endsAt - now }
}

/** Takes the counts in order; the first past its max refuses the step (includes/counts.lua take_counts). */
export function takeCounts(state: MemoryState, counts: RateCount[] | undefined, now: number): void {
  if (!counts) return
  for (const count of counts) {
    const hits = hit(state, count.key, count.windowMs, now)
    if (hits.current > count.max) throw refusalError(Refusal.RateLimited, { retryAfterMs: hits.ttlMs })
  }
}

/**
 * Create's count per tenant and number (NumberCount), kept per digest as the Redis script keeps
 * it in the caller's hash: during a rotation the previous key's count goes on under the current
 * key (redis/lua/createVerification-n.lua).
 */
export function takeNumberCount(state: MemoryState, tenant: string, hashes: readonly string[], count: NumberCount | undefined, now: number): void {
  if (!count) return
  const [key, previousKey] = hashes.map((hash) => `number:${tenant}:${hash}`) as [string, string | undefined]
  const live = (k: string | undefined) => {
    const c = k === undefined ? undefined : state.counters.get(k)
    return c && c.endsAt > now ? c : undefined
  }
  const counter = live(key) ?? { ...(live(previousKey) ?? { current: 0, endsAt: now + count.windowMs }) }
  counter.current++
  state.counters.set(key, counter)
  if (counter.current > count.max) throw refusalError(Refusal.RateLimited, { retryAfterMs: counter.endsAt - now })
}

function dayLock(state: MemoryState, tenant: string, phoneNumber: string, now: number): DayLock {
  const hashes = hashesOf(state, phoneNumber)
  const until = lockedUntil(state, tenant, hashes, now)
  const day = japanDayNumber(now)
  const count = hashes.reduce((sum, hash) => sum + (state.failures.get(periodKey(lockKey(tenant, hash), day)) ?? 0), 0)
  return { tenant, phoneNumber, failures: count, ...(until ? { lockedUntil: until } : {}) }
}

export function memoryLocks(state: MemoryState): LockStore {
  return {
    async hit(key, windowMs) {
      const now = state.clock()
      sweep(state, now)
      return hit(state, key, windowMs, now)
    },
    async getLock(tenant, phoneNumber) {
      return dayLock(state, tenant, phoneNumber, state.clock())
    },
    async clearLock(tenant, phoneNumber) {
      const now = state.clock()
      const before = dayLock(state, tenant, phoneNumber, now)
      const day = japanDayNumber(now)
      for (const hash of hashesOf(state, phoneNumber)) {
        state.locks.delete(lockKey(tenant, hash))
        state.failures.delete(periodKey(lockKey(tenant, hash), day))
      }
      return before
    },
  }
}
