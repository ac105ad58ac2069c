import type { ErrorCode } from './errors.js'

// The verification state machine of the contract (docs/contract.md). Pure: every function takes `now` (ms).
// The memory store applies these functions; the Redis Lua scripts mirror them one for one,
// and the store contract suite holds both to the same answers.

import type { CallerAttestation } from './carrier.js'

export const STATUSES = ['pending', 'verified', 'confirmed', 'expired', 'cancelled'] as const
export type VerificationStatus = (typeof STATUSES)[number]

/** Who cancelled: the customer (poll token), the bank's backend (API key), or a newer verification (R10). */
export const CANCEL_REASONS = ['customer', 'backend', 'superseded'] as const
export type CancelReason = (typeof CANCEL_REASONS)[number]

export interface Verification {
  id: string
  tenant: string
  /** The registered number as R1 shows it (*******5678): the only form of it a verification keeps. */
  phoneMasked: string
  /** HMAC-SHA256 of the registered number's E.164 form under PHONE_HASH_KEY (domain/phonehash.ts). */
  phoneHash: string
  /** The pool number the customer must dial, E.164. */
  verificationNumber: string
  status: VerificationStatus
  createdAt: number
  expiresAt: number
  verifiedAt?: number
  confirmedAt?: number
  cancelledAt?: number
  cancelReason?: CancelReason
  /** R7: calls from the registered number that arrived inside the window. */
  calls: number
  reference?: string
  callbackUrl?: string
  /** sha256 of the poll token, hex; the token itself is never stored. */
  pollTokenHash: string
  /** The verifying call's caller-ID attestation, when its carrier sent one. */
  callerAttestation?: CallerAttestation
}

export function isTerminal(status: VerificationStatus): boolean {
  return status === 'confirmed' || status === 'expired' || status === 'cancelled'
}

/** Open means a call or a confirm can still change it: pending or verified. */
export function isOpen(status: VerificationStatus): boolean {
  return status === 'pending' || status === 'verified'
}

/** R3: the window is [createdAt, expiresAt); at expiresAt it is over. */
export function isInsideWindow(v: Pick<Verification, 'expiresAt'>, now: number): boolean {
  return now < v.expiresAt
}

export function remainingSeconds(v: Pick<Verification, 'expiresAt'>, now: number): number {
  return Math.max(0, Math.ceil((v.expiresAt - now) / 1000))
}

/** R3: an open verification whose window is over becomes expired (a verified one too). */
export function expireIfDue(v: Verification, now: number): Verification {
  if (isOpen(v.status) && !isInsideWindow(v, now)) return { ...v, status: 'expired' }
  return v
}

/** Why a transition is refused: the contract's error code (the stores' Refusal enum names the same). */
export type TransitionRefusal = Extract<ErrorCode, 'VERIFICATION_PENDING' | 'VERIFICATION_CANCELLED' | 'VERIFICATION_EXPIRED' | 'VERIFICATION_CONFIRMED'>

export type Transition = { ok: true; verification: Verification; changed: boolean } | { ok: false; refusal: TransitionRefusal; verification: Verification }

function refusalFor(status: VerificationStatus): TransitionRefusal {
  if (status === 'cancelled') return 'VERIFICATION_CANCELLED'
  if (status === 'confirmed') return 'VERIFICATION_CONFIRMED'
  if (status === 'expired') return 'VERIFICATION_EXPIRED'
  return 'VERIFICATION_PENDING'
}

/** R4, R7: a call from the registered number inside the window verifies; more calls only count. */
export function applyCall(v: Verification, now: number): Transition {
  const current = expireIfDue(v, now)
  if (!isOpen(current.status)) return { ok: false, refusal: refusalFor(current.status), verification: current }
  const calls = current.calls + 1
  if (current.status === 'verified') return { ok: true, verification: { ...current, calls }, changed: false }
  return { ok: true, verification: { ...current, status: 'verified', verifiedAt: now, calls }, changed: true }
}

/** R9, R3: 確定する. Verified inside the window confirms; confirmed again answers the same. */
export function applyConfirm(v: Verification, now: number): Transition {
  if (v.status === 'confirmed') return { ok: true, verification: v, changed: false }
  const current = expireIfDue(v, now)
  if (current.status === 'verified') return { ok: true, verification: { ...current, status: 'confirmed', confirmedAt: now }, changed: true }
  return { ok: false, refusal: refusalFor(current.status), verification: current }
}

/** R10: 中止する. Cancelled again answers the same; other terminal statuses refuse. */
export function applyCancel(v: Verification, now: number, reason: CancelReason): Transition {
  if (v.status === 'cancelled') return { ok: true, verification: v, changed: false }
  const current = expireIfDue(v, now)
  if (!isOpen(current.status)) return { ok: false, refusal: refusalFor(current.status), verification: current }
  return { ok: true, verification: { ...current, status: 'cancelled', cancelledAt: now, cancelReason: reason }, changed: true }
}

/**
 * A new verification for the same tenant and number supersedes the older open one (cancelled,
 * reason superseded); one whose window already ran out ends expired instead. R11 counts either.
 * Lua: superseded_fields in includes/verification.lua.
 */
export function applySupersede(v: Verification, now: number): Verification {
  if (!isOpen(v.status)) return v
  const due = expireIfDue(v, now)
  if (due.status === 'expired') return due
  return { ...v, status: 'cancelled', cancelledAt: now, cancelReason: 'superseded' }
}

/** R11: every verification that ends other than confirmed counts one failure toward the day lock. */
export function countsAsFailure(status: VerificationStatus): boolean {
  return status === 'expired' || status === 'cancelled'
}
