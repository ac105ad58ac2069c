import type { CancelReason, Verification } from '../../domain/verification.js'
import type { NumberCount, RateCount } from './locks.js'

// The verifications role: open, read, confirm, cancel and expire, each one atomic step.

export interface CreateVerificationInput {
  id: string
  tenant: string
  /** E.164, already normalised (R14). The store keeps only its hash and mask (PHONE_HASH_KEY). */
  phoneNumber: string
  pollTokenHash: string
  windowMs: number
  /** Uniform in [0, 1): picks the verification number (R2); passed in so Redis needs no PRNG. */
  random: number
  reference?: string
  callbackUrl?: string
  /** Rate-limit counts to take first, in the same step (RateCount). */
  counts?: RateCount[]
  /** The count per tenant and this number, taken after `counts` (NumberCount). */
  numberCount?: NumberCount
}

export interface Outcome {
  verification: Verification
  /** The store's clock when the step ran (ms since epoch). */
  now: number
  /** Verifications whose status this step changed, in order (a superseded one, then this one). */
  changed: Verification[]
}

export interface VerificationStore {
  createVerification(input: CreateVerificationInput): Promise<Outcome>
  /**
   * Reads one, turning it expired first if its window is over (and counting that failure).
   * Takes `counts` first (RateCount), whether or not the verification exists.
   */
  getVerification(id: string, counts?: RateCount[]): Promise<{ verification: Verification; now: number; changed: Verification[] } | null>
  confirmVerification(id: string, tenant: string): Promise<Outcome>
  cancelVerification(id: string, reason: CancelReason, tenant?: string): Promise<Outcome>
  /**
   * The expiry sweep's step (R3 as an event): expires open verifications whose window is over,
   * counting and publishing each as a read would. At most `limit` per call: a full batch means
   * more may be due.
   */
  expireDue(limit: number): Promise<{ now: number; changed: Verification[] }>
}
