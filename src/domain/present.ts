import type { CallerAttestation } from './carrier.js'
import { STATUS_MESSAGES } from './errors.js'
import { presentVerificationNumber } from './phone.js'
import { remainingSeconds, type CancelReason, type Verification, type VerificationStatus } from './verification.js'

// The GET body of docs/contract.md, in one place: the /v1 answers, the event stream and the
// signed callbacks all send it. http/schemas/v1.ts holds the same shape as a TypeBox schema
// (response validation and fast serialisation) and checks at compile time that the two agree.

/** A verification as a backend, a frontend and a callback receiver see it. */
export interface VerificationView {
  id: string
  status: VerificationStatus
  phoneNumber: { masked: string }
  verificationNumber: { e164: string; display: string; telUri: string }
  createdAt: string
  expiresAt: string
  windowSeconds: number
  remainingSeconds: number
  calls: number
  message: { ja: string; en: string }
  reference?: string
  verifiedAt?: string
  confirmedAt?: string
  cancelledAt?: string
  cancelReason?: CancelReason
  callerAttestation?: CallerAttestation
}

const iso = (ms: number) => new Date(ms).toISOString()

/** The contract's body of `v` at `now` (remainingSeconds counts from it). */
export function presentVerification(v: Verification, now: number): VerificationView {
  const body: VerificationView = {
    id: v.id,
    status: v.status,
    phoneNumber: { masked: v.phoneMasked },
    verificationNumber: presentVerificationNumber(v.verificationNumber),
    createdAt: iso(v.createdAt),
    expiresAt: iso(v.expiresAt),
    windowSeconds: Math.round((v.expiresAt - v.createdAt) / 1000),
    remainingSeconds: v.status === 'pending' || v.status === 'verified' ? remainingSeconds(v, now) : 0,
    calls: v.calls,
    message: STATUS_MESSAGES[v.status],
  }
  if (v.reference !== undefined) body.reference = v.reference
  if (v.verifiedAt !== undefined) body.verifiedAt = iso(v.verifiedAt)
  if (v.confirmedAt !== undefined) body.confirmedAt = iso(v.confirmedAt)
  if (v.cancelledAt !== undefined) body.cancelledAt = iso(v.cancelledAt)
  if (v.cancelReason !== undefined) body.cancelReason = v.cancelReason
  if (v.callerAttestation !== undefined) body.callerAttestation = { ...v.callerAttestation }
  return body
}
