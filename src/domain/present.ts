import type { CallerAttestation } from './carrier.js'
import { STATUS_MESSAGES } from './errors.js'
import { DAY_MS } from './japan.js'
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

// Date#toISOString, ten times faster for the times a verification holds (a status poll formats
// two): the day's part is formatted once per UTC day, the time of day by arithmetic. Anything
// else (before 1970, after 9999, a fraction of a ms) takes toISOString itself.
// test/domain/present.test.ts holds the two equal.
const LAST_MS = 253_402_300_800_000 // 10000-01-01T00:00:00Z
let dayStart = Number.NaN
let dayPrefix = ''
const two = (n: number) => (n < 10 ? '0' : '') + n
const three = (n: number) => (n < 10 ? '00' : n < 100 ? '0' : '') + n

export function isoTime(ms: number): string {
  let t = ms - dayStart
  if (!(t >= 0 && t < DAY_MS)) {
    if (!Number.isInteger(ms) || ms < 0 || ms >= LAST_MS) return new Date(ms).toISOString()
    dayStart = ms - (ms % DAY_MS)
    dayPrefix = new Date(dayStart).toISOString().slice(0, 11)
    t = ms - dayStart
  }
  return `${dayPrefix}${two(Math.floor(t / 3_600_000))}:${two(Math.floor(t / 60_000) % 60)}:${two(Math.floor(t / 1000) % 60)}.${three(t % 1000)}Z`
}

/** The contract's body of `v` at `now` (remainingSeconds counts from it). */
export function presentVerification(v: Verification, now: number): VerificationView {
  const body: VerificationView = {
    id: v.id,
    status: v.status,
    phoneNumber: { masked: v.phoneMasked },
    verificationNumber: presentVerificationNumber(v.verificationNumber),
    createdAt: isoTime(v.createdAt),
    expiresAt: isoTime(v.expiresAt),
    windowSeconds: Math.round((v.expiresAt - v.createdAt) / 1000),
    remainingSeconds: v.status === 'pending' || v.status === 'verified' ? remainingSeconds(v, now) : 0,
    calls: v.calls,
    message: STATUS_MESSAGES[v.status],
  }
  if (v.reference !== undefined) body.reference = v.reference
  if (v.verifiedAt !== undefined) body.verifiedAt = isoTime(v.verifiedAt)
  if (v.confirmedAt !== undefined) body.confirmedAt = isoTime(v.confirmedAt)
  if (v.cancelledAt !== undefined) body.cancelledAt = isoTime(v.cancelledAt)
  if (v.cancelReason !== undefined) body.cancelReason = v.cancelReason
  if (v.callerAttestation !== undefined) body.callerAttestation = { ...v.callerAttestation }
  return body
}
