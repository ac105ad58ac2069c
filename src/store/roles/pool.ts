import { DEFAULT_CARRIER } from '../../domain/carrier.js'
import type { NumberHealth, NumberState } from '../../domain/pool.js'

// The pool role: the verification numbers (R2), their state, weight and health.

export interface PoolNumber {
  e164: string
  /** Whose number it is (domain CARRIERS); calls through another carrier's webhook verify nothing. */
  carrier: string
  state: NumberState
  weight: number
  label?: string
  health: NumberHealth
  addedAt: number
  /** Open verifications that point at this number now. */
  pending: number
  /** Calls that reached it today (Japan day), any kind. */
  callsToday: number
  lastCallAt?: number
  /** Handed out since the last call arrived (the pool health job's "silent" signal). */
  allocationsSinceCall: number
  /** Status callbacks today (Japan day) by the carrier's outcome: busy, no-answer, failed, completed… */
  outcomesToday: Record<string, number>
  /** The last status callback's outcome and call duration. */
  lastOutcome?: { status: string; durationSeconds: number; at: number }
}

/** What a store keeps of a pool number; the rest of PoolNumber is counted from its verifications and calls. */
export type NumberRecord = Omit<PoolNumber, 'pending' | 'callsToday' | 'outcomesToday'>

/** A pool number's state and health only: what the health gauge shows, read in one round trip. */
export type PoolSummary = Pick<PoolNumber, 'e164' | 'carrier' | 'state' | 'health' | 'weight'>

export interface PoolNumberPatch {
  carrier?: string
  state?: NumberState
  weight?: number
  label?: string
  health?: NumberHealth
}

export interface UpdateNumberOptions {
  /**
   * Refuse (FORCE_REQUIRED) a change that leaves no active number with weight > 0, or that
   * moves a retired number out of retirement. Decided inside the store, so two operators
   * draining the last two numbers at once cannot both succeed.
   */
  guard?: boolean
}

/** What ensurePoolNumbers takes: `+81…` (twilio) or `{ e164, carrier }`. */
export type PoolEntry = string | { e164: string; carrier: string }

/** A PoolEntry with its carrier (the default for a bare number). */
export function poolEntry(entry: PoolEntry): { e164: string; carrier: string } {
  return typeof entry === 'string' ? { e164: entry, carrier: DEFAULT_CARRIER } : entry
}

export interface PoolStore {
  /** Adds each missing number: `+81…` (twilio) or `{ e164, carrier }`. */
  ensurePoolNumbers(numbers: readonly PoolEntry[]): Promise<void>
  /** Every pool number, sorted by number, in one round trip (the console's list). */
  listNumbers(): Promise<PoolNumber[]>
  /** Every pool number's state and health, sorted by number, in one round trip (the /metrics gauge). */
  summarizePool(): Promise<PoolSummary[]>
  /** How many numbers are active: O(1) (/readyz, the pool sizing warning). */
  countActiveNumbers(): Promise<number>
  getNumber(e164: string): Promise<PoolNumber | null>
  addNumber(input: { e164: string; carrier?: string; weight?: number; label?: string }): Promise<PoolNumber>
  updateNumber(e164: string, patch: PoolNumberPatch, options?: UpdateNumberOptions): Promise<{ before: PoolNumber; after: PoolNumber }>
  /** The health job's step: marks the number silent if it is 'ok' and was handed out `threshold` times since its last call. */
  markSilent(e164: string, threshold: number): Promise<boolean>
}
