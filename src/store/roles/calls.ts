import type { CallerAttestation } from '../../domain/carrier.js'
import type { Verification } from '../../domain/verification.js'
import type { PoolNumber } from './pool.js'

// The calls role: what the carriers' webhooks report (carriers/core.ts), each one atomic step.

/** Call ids are remembered this long: a captured signed request cannot verify a later window (R15: 30 days). */
export const CALL_ID_TTL_MS = 35 * 86_400_000

export type CallOutcome =
  | 'verified' // a pending verification became verified
  | 'repeat' // R7: another call for an already verified one
  | 'expired' // the window this call aimed at is over
  | 'unmatched' // a known pool number, but no open verification for this caller
  | 'unknown-number' // To is not a pool number (or a retired one)
  | 'duplicate' // the carrier posted the same call id again
  | 'wrong-carrier' // To is a pool number of another carrier: verifies nothing (docs/contract.md "The carriers")
  | 'attestation-refused' // the caller ID's attestation falls short of the tenant's TENANT_POLICY

export interface RecordCallInput {
  /** The carrier's call id; remembered per carrier (CALL_ID_TTL_MS). */
  callSid: string
  /** Caller, E.164 (withheld callers never reach the store's matching); hashed to find its match, never kept. */
  from: string
  to: string
  /** The webhook's carrier (default twilio): a pool number of another carrier verifies nothing. */
  carrier?: string
  /** Recorded on the verification it verifies; absent = unknown. */
  attestation?: CallerAttestation
  /** Tenants whose TENANT_POLICY this call's attestation does not meet (domain tenantsRefusing). */
  refusingTenants?: string[]
}

export interface CallResult {
  outcome: CallOutcome
  now: number
  changed: Verification[]
}

export interface CallStatusInput {
  callSid: string
  to: string
  status: string
  durationSeconds: number
  /** The callback's carrier (default twilio): another carrier's number is left alone. */
  carrier?: string
}

export interface CallStore {
  recordCall(input: RecordCallInput): Promise<CallResult>
  /** R5: a withheld call to a pool number, counted, matching nothing (carrier default twilio). */
  recordWithheldCall(to: string, callSid: string, carrier?: string): Promise<void>
  /** A call status callback; a call with a duration was answered (R6): that number is quarantined. */
  recordCallStatus(input: CallStatusInput): Promise<{ answered: boolean; number: PoolNumber | null }>
}
