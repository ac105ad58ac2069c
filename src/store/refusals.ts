import { CallverifyError, type ErrorCode } from '../domain/errors.js'
import type { Verification } from '../domain/verification.js'

// Refusals as both stores report them: the Lua scripts return these negative integers, the
// memory store uses the same names, and refusalError turns either into the contract error.
export enum Refusal {
  NotFound = -1,
  Locked = -2,
  PoolExhausted = -3,
  Pending = -4,
  Cancelled = -5,
  Expired = -6,
  Confirmed = -7,
  NumberExists = -8,
  NumberUnknown = -9,
  LastActive = -10,
  Retired = -11,
  RateLimited = -12,
}

const CODES: Record<Refusal, ErrorCode> = {
  [Refusal.NotFound]: 'NOT_FOUND',
  [Refusal.Locked]: 'LOCKED',
  [Refusal.PoolExhausted]: 'POOL_EXHAUSTED',
  [Refusal.Pending]: 'VERIFICATION_PENDING',
  [Refusal.Cancelled]: 'VERIFICATION_CANCELLED',
  [Refusal.Expired]: 'VERIFICATION_EXPIRED',
  [Refusal.Confirmed]: 'VERIFICATION_CONFIRMED',
  [Refusal.NumberExists]: 'ALREADY_EXISTS',
  [Refusal.NumberUnknown]: 'NOT_FOUND',
  [Refusal.LastActive]: 'FORCE_REQUIRED',
  [Refusal.Retired]: 'FORCE_REQUIRED',
  [Refusal.RateLimited]: 'TOO_MANY_REQUESTS',
}

// Two refusals share FORCE_REQUIRED; the message says which rule, and what to do.
const MESSAGES: Partial<Record<Refusal, string>> = {
  [Refusal.LastActive]: 'This would leave no active number with weight > 0, so every new verification would fail with POOL_EXHAUSTED: add or activate another number first, or repeat with ?force=true',
  [Refusal.Retired]: 'This number is retired (it never matches again): repeat with ?force=true to bring it back',
}

const BY_CODE = new Map<string, Refusal>(
  (Object.entries(CODES) as [string, ErrorCode][]).filter(([r]) => Number(r) > Refusal.NumberUnknown).map(([r, c]) => [c, Number(r) as Refusal]),
)

/** The domain's refusal names (VERIFICATION_…) as the enum the stores share. */
export function refusalOf(code: ErrorCode): Refusal {
  const refusal = BY_CODE.get(code)
  if (refusal === undefined) throw new Error(`no refusal for ${code}`)
  return refusal
}

/** `now` is the store's clock when the step ran: Retry-After counts from it, not from this instance's. */
export function refusalError(refusal: Refusal, details: { lockedUntil?: number; now?: number; retryAfterMs?: number } = {}): CallverifyError {
  const code = CODES[refusal]
  if (code === 'TOO_MANY_REQUESTS') {
    return new CallverifyError(code, {}, { retryAfterSeconds: Math.max(1, Math.ceil((details.retryAfterMs ?? 0) / 1000)) })
  }
  if (code === 'LOCKED') {
    const until = details.lockedUntil ?? 0
    return new CallverifyError(
      'LOCKED',
      { reasonCode: 'B84', lockedUntil: new Date(until).toISOString() },
      { retryAfterSeconds: Math.max(1, Math.ceil((until - (details.now ?? Date.now())) / 1000)) },
    )
  }
  if (code === 'POOL_EXHAUSTED') return new CallverifyError(code, {}, { retryAfterSeconds: 5 })
  const message = MESSAGES[refusal]
  return new CallverifyError(code, {}, message ? { message } : {})
}

/**
 * A refusal that came after the step changed a status (a confirm after the window expires the
 * verification first): the change rides along, unserialised, so store/timed.ts still counts it.
 */
export function withChanged(error: CallverifyError, changed: Verification[]): CallverifyError {
  if (changed.length > 0) Object.defineProperty(error, 'changed', { value: changed, enumerable: false })
  return error
}
