import { STATUS_MESSAGES } from '../domain/errors.js'
import { presentVerificationNumber } from '../domain/phone.js'
import { remainingSeconds, type Verification } from '../domain/verification.js'
import type { VerificationBody } from './schemas/v1.js'

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString())

/** The GET body of the contract: what a backend, a frontend and a callback receiver see. */
export function presentVerification(v: Verification, now: number): VerificationBody {
  const body: VerificationBody = {
    id: v.id,
    status: v.status,
    phoneNumber: { masked: v.phoneMasked },
    verificationNumber: presentVerificationNumber(v.verificationNumber),
    createdAt: iso(v.createdAt)!,
    expiresAt: iso(v.expiresAt)!,
    windowSeconds: Math.round((v.expiresAt - v.createdAt) / 1000),
    remainingSeconds: v.status === 'pending' || v.status === 'verified' ? remainingSeconds(v, now) : 0,
    calls: v.calls,
    message: STATUS_MESSAGES[v.status],
  }
  if (v.reference !== undefined) body.reference = v.reference
  if (v.verifiedAt !== undefined) body.verifiedAt = iso(v.verifiedAt)!
  if (v.confirmedAt !== undefined) body.confirmedAt = iso(v.confirmedAt)!
  if (v.cancelledAt !== undefined) body.cancelledAt = iso(v.cancelledAt)!
  if (v.cancelReason !== undefined) body.cancelReason = v.cancelReason
  if (v.callerAttestation !== undefined) body.callerAttestation = { ...v.callerAttestation }
  return body
}
