import { DEFAULT_CARRIER, decodeAttestation } from '../../domain/carrier.js'
import type { NumberHealth, NumberState } from '../../domain/pool.js'
import type { CancelReason, Verification } from '../../domain/verification.js'
import { Refusal, refusalError, withChanged } from '../refusals.js'
import type { DayLock } from '../roles/locks.js'
import type { NumberRecord, PoolNumber, PoolSummary } from '../roles/pool.js'
import type { Outcome } from '../roles/verifications.js'

// Redis' replies as the store's types: a verification's hash (includes/verification.lua lists
// its fields), a pool number's (includes/pool.lua), and the scripts' own reply shapes.

/** A Redis hash as HGETALL or a script's JSON gives it. */
export type Hash = Record<string, string | number>

const num = (value: string | number | undefined): number | undefined => (value === undefined || value === '' ? undefined : Number(value))

export function toVerification(h: Hash): Verification {
  const v: Verification = {
    id: String(h.id),
    tenant: String(h.tenant),
    phoneMasked: String(h.mask),
    phoneHash: String(h.phone),
    verificationNumber: String(h.to),
    status: h.status as Verification['status'],
    createdAt: Number(h.createdAt),
    expiresAt: Number(h.expiresAt),
    calls: Number(h.calls ?? 0),
    pollTokenHash: String(h.tokenHash),
  }
  const verifiedAt = num(h.verifiedAt)
  const confirmedAt = num(h.confirmedAt)
  const cancelledAt = num(h.cancelledAt)
  if (verifiedAt !== undefined) v.verifiedAt = verifiedAt
  if (confirmedAt !== undefined) v.confirmedAt = confirmedAt
  if (cancelledAt !== undefined) v.cancelledAt = cancelledAt
  if (h.cancelReason) v.cancelReason = h.cancelReason as CancelReason
  if (h.reference !== undefined) v.reference = String(h.reference)
  if (h.callbackUrl !== undefined) v.callbackUrl = String(h.callbackUrl)
  const attestation = decodeAttestation(h.attest === undefined ? undefined : String(h.attest))
  if (attestation) v.callerAttestation = attestation
  return v
}

/** readVerification-n.lua's fields, in the order of its reply: what a client chose comes last. */
export const READ_FIELDS = [
  'id', 'tenant', 'phone', 'mask', 'to', 'status', 'createdAt', 'expiresAt', 'calls', 'tokenHash',
  'verifiedAt', 'confirmedAt', 'cancelledAt', 'cancelReason', 'attest', 'callbackUrl', 'reference',
] as const
const SEPARATOR = '\x1f'

/** What createVerification-n.lua answers: opened {0, now, number[, changed JSON]}, or a refusal's JSON (StepReply). */
export type CreateReply = [0, number, string] | [0, number, string, string] | string

/** What readVerification-n.lua answers (its header): unknown, a count past its max, or the read. */
export type ReadReply = -1 | [Refusal.RateLimited, number] | string

/** What pollVerification-n.lua answers: readVerification-n.lua's replies, or 0 for a window to expire (its header). */
export type PollReply = ReadReply | 0

// -1, {-12, ttl}, or one string: expired, now, then READ_FIELDS' values ('' when absent), joined
// by \x1f. The last value is the rest of the string, whatever it holds.
export function decodeRead(reply: ReadReply): Outcome | null {
  if (reply === -1) return null
  if (typeof reply !== 'string') throw refusalError(Refusal.RateLimited, { retryAfterMs: Number(reply[1]) })
  let start = 0
  const next = (): string => {
    const end = reply.indexOf(SEPARATOR, start)
    const value = reply.slice(start, end)
    start = end + 1
    return value
  }
  const expired = next() === '1'
  const now = Number(next())
  const h: Hash = {}
  const last = READ_FIELDS.length - 1
  for (let i = 0; i < last; i++) {
    const value = next()
    if (value !== '') h[READ_FIELDS[i]!] = value
  }
  const rest = reply.slice(start)
  if (rest !== '') h[READ_FIELDS[last]!] = rest
  const verification = toVerification(h)
  return { verification, now, changed: expired ? [toVerification(h)] : [] }
}

/**
 * A verification step's JSON reply (includes/verification.lua reply()). On the wire its fields
 * are short: r the result, v the fields it answers with.
 */
interface StepWire { r: number; now: number; v: Hash; changed: Hash[] | Record<string, never> }

export interface StepReply {
  /** 0, or the Refusal. */
  result: 0 | Refusal
  /** The store's clock when the step ran. */
  now: number
  /** The verification's hash; for a refusal what its answer needs (lockedUntil, retryAfterMs); recordCall's {outcome}. */
  fields: Hash
  /** The verifications whose status the step changed, in order. */
  changed: Verification[]
}

/** A list of verification hashes (cjson writes an empty list as {}). */
export function toVerifications(list: Hash[] | Record<string, never>): Verification[] {
  return Array.isArray(list) ? list.map(toVerification) : []
}

export function decodeStep(json: string): StepReply {
  const wire = JSON.parse(json) as StepWire
  return { result: wire.r as 0 | Refusal, now: wire.now, fields: wire.v, changed: toVerifications(wire.changed) }
}

// A refusal carries what its answer needs: the lock's end (create) and the store's clock for
// Retry-After, or the time left in a rate-limit window; refusalError takes what its code uses.
export function toOutcome(reply: StepReply): Outcome {
  if (reply.result !== 0) {
    const { lockedUntil, retryAfterMs } = reply.fields
    throw withChanged(refusalError(reply.result, {
      now: reply.now,
      ...(lockedUntil !== undefined ? { lockedUntil: Number(lockedUntil) } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs: Number(retryAfterMs) } : {}),
    }), reply.changed)
  }
  return { verification: toVerification(reply.fields), now: reply.now, changed: reply.changed }
}

export function toNumberRecord(h: Hash): NumberRecord {
  return {
    e164: String(h.e164),
    carrier: h.carrier === undefined ? DEFAULT_CARRIER : String(h.carrier),
    state: h.state as NumberState,
    weight: Number(h.weight),
    health: (h.health as NumberHealth) ?? 'ok',
    addedAt: Number(h.addedAt),
    allocationsSinceCall: Number(h.allocationsSinceCall ?? 0),
    ...(h.label !== undefined ? { label: String(h.label) } : {}),
    ...(h.lastCallAt !== undefined ? { lastCallAt: Number(h.lastCallAt) } : {}),
    ...(h.lastOutcome !== undefined
      ? { lastOutcome: { status: String(h.lastOutcome), durationSeconds: Number(h.lastOutcomeDuration), at: Number(h.lastOutcomeAt) } }
      : {}),
  }
}

/** A pool number's hash and what is counted of it now: includes/pool.lua number_view, or the same read in a MULTI. */
export interface NumberView {
  number: Hash
  pending: number | string
  callsToday: number | string | null
  /** cjson writes an empty hash as {} too. */
  outcomesToday: Record<string, number | string>
}

export function toPoolNumber(view: NumberView): PoolNumber {
  const outcomesToday: Record<string, number> = {}
  for (const status in view.outcomesToday) outcomesToday[status] = Number(view.outcomesToday[status])
  return { ...toNumberRecord(view.number), pending: Number(view.pending), callsToday: Number(view.callsToday ?? 0), outcomesToday }
}

/** listNumbers-1.lua's JSON array of views ({} when the pool is empty). */
export function toPoolNumbers(json: string): PoolNumber[] {
  const views = JSON.parse(json) as NumberView[] | Record<string, never>
  return Array.isArray(views) ? views.map(toPoolNumber) : []
}

/** summarizePool-1.lua's flat array: e164, state, health, weight, carrier, … */
export function toPoolSummaries(flat: string[]): PoolSummary[] {
  const numbers: PoolSummary[] = []
  for (let i = 0; i < flat.length; i += 5) {
    numbers.push({ e164: flat[i]!, state: flat[i + 1] as NumberState, health: flat[i + 2] as NumberHealth, weight: Number(flat[i + 3]), carrier: flat[i + 4]! })
  }
  return numbers
}

/** MGET of a number's lock and day-count keys, in pairs (redis/locks.ts lockKeys): both keys of a rotation count. */
export function toDayLock(tenant: string, phoneNumber: string, values: (string | null)[]): DayLock {
  let failures = 0
  let lockedUntil: number | undefined
  for (let i = 0; i < values.length; i += 2) {
    failures += Number(values[i + 1] ?? 0)
    if (values[i]) lockedUntil = Math.max(lockedUntil ?? 0, Number(values[i]))
  }
  return { tenant, phoneNumber, failures, ...(lockedUntil !== undefined ? { lockedUntil } : {}) }
}
