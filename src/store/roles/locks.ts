// The locks and counts role: the day lock (R11) and the rate-limit counters.

/**
 * One hit on a rate-limit counter (plugins/ratelimit.ts): a fixed window from the counter's first
 * hit, shared by every instance on a shared store. Store steps that take counts take them first,
 * in order, and refuse with TOO_MANY_REQUESTS at the first counter past its max, doing nothing else:
 * a status poll and a create count and act in one round trip.
 */
export interface RateCount {
  /** Names the counter: `key:<tenant>`, `addr:<address>`. */
  key: string
  max: number
  windowMs: number
}

/**
 * Create's count per tenant and registered number (R13, RATE_LIMIT_PHONE_PER_HOUR), counted as a
 * RateCount is, after the step's `counts` and before its lock check, refusing with
 * TOO_MANY_REQUESTS past `max`. The store keeps it with what it keeps of the number anyway (in
 * Redis two fields of the caller's hash, not a counter key of its own: no number in a key's name,
 * one key and two commands fewer per create), so no other call reads or takes it. During a
 * key rotation the count under the previous key goes on.
 */
export interface NumberCount {
  max: number
  windowMs: number
}

export interface Hits {
  /** Hits in the current window, this one included. */
  current: number
  /** Until the window ends. */
  ttlMs: number
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

export interface LockStore {
  /** Counts one hit on a rate-limit counter (RateCount) and tells where it stands; refuses nothing. */
  hit(key: string, windowMs: number): Promise<Hits>
  getLock(tenant: string, phoneNumber: string): Promise<DayLock>
  /** Lifts the lock and forgets the day's failures (under either key in a rotation); answers what it was. */
  clearLock(tenant: string, phoneNumber: string): Promise<DayLock>
}
