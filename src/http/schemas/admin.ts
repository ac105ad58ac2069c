import { Type, type Static } from 'typebox'
import { CARRIERS } from '../../domain/carrier.js'
import { NUMBER_HEALTHS, NUMBER_STATES } from '../../domain/pool.js'

// Schemas of the pool, lock and audit routes (docs/contract.md "/admin"); maintenance has its own.

const Iso = Type.String({ format: 'date-time' })
const State = Type.Enum(NUMBER_STATES, {
  type: 'string',
  description: 'active: allocated · draining: not allocated, calls still verify open windows · quarantined: the same, taken out as unhealthy · retired: never matches again',
})
const Health = Type.Enum(NUMBER_HEALTHS, {
  type: 'string',
  description: 'ok · silent: handed out HEALTH_SILENT_AFTER times in a row without a call arriving · answered: a call was answered (misrouted at the carrier)',
})
const Weight = Type.Integer({ minimum: 0, maximum: 1000, description: 'Share of allocation (R2); 0 takes the number out of allocation' })
const Label = Type.String({ maxLength: 64, description: "The operator's note; an empty label clears it" })

export const E164Params = Type.Object({
  e164: Type.String({ minLength: 1, maxLength: 20, description: 'E.164: the + literal or as %2B (the digits alone also work)' }),
})
export type E164Params = Static<typeof E164Params>

const Carrier = Type.Union(CARRIERS.map((c) => Type.Literal(c)), {
  description: 'Whose number it is: calls through another carrier\'s webhook verify nothing (docs/contract.md "Carriers"); default twilio',
})

export const PoolNumberBody = Type.Object({
  e164: Type.String(),
  carrier: Carrier,
  display: Type.String({ description: 'As a customer sees it, e.g. 0120-000-001' }),
  state: State,
  weight: Type.Integer(),
  label: Type.Optional(Type.String()),
  health: Health,
  pending: Type.Integer({ description: 'Open verifications pointing at it' }),
  callsToday: Type.Integer({ description: 'Calls that reached it today (Japan day), any kind' }),
  lastCallAt: Type.Optional(Iso),
  allocationsSinceCall: Type.Integer({ description: 'Handed out since the last call arrived' }),
  outcomesToday: Type.Record(Type.String(), Type.Integer(), { description: 'Status callbacks today (Japan day) by outcome: busy, no-answer, failed, completed…' }),
  lastOutcome: Type.Optional(Type.Object({ status: Type.String(), durationSeconds: Type.Integer(), at: Iso })),
  addedAt: Iso,
})
export type PoolNumberBody = Static<typeof PoolNumberBody>

export const NumberList = Type.Object({ numbers: Type.Array(PoolNumberBody) })

export const AddNumberBody = Type.Object(
  { e164: Type.String({ minLength: 1, maxLength: 20, description: 'E.164, e.g. +81120000004' }), carrier: Type.Optional(Carrier), weight: Type.Optional(Weight), label: Type.Optional(Label) },
  { additionalProperties: false },
)
export type AddNumberBody = Static<typeof AddNumberBody>

export const PatchNumberBody = Type.Object(
  { state: Type.Optional(State), weight: Type.Optional(Weight), label: Type.Optional(Label), carrier: Type.Optional(Carrier) },
  { additionalProperties: false, minProperties: 1 },
)
export type PatchNumberBody = Static<typeof PatchNumberBody>

export const ForceQuery = Type.Object({
  force: Type.Optional(Type.Boolean({ description: 'Allow a change that leaves no number to allocate, or revives a retired one' })),
})

export const SyncQuery = Type.Object({
  dryRun: Type.Optional(Type.Boolean({ description: 'Report what would change; change nothing' })),
  carrier: Type.Optional(Type.Union(CARRIERS.map((c) => Type.Literal(c)), { description: 'Whose pool numbers to sync; default twilio' })),
})

const Change = Type.Object({ field: Type.String(), from: Type.String(), to: Type.String() })

export const SyncReport = Type.Object({
  carrier: Type.String(),
  dryRun: Type.Boolean(),
  manual: Type.Optional(Type.Boolean({ description: 'This carrier has no sync here: set target on each of toSetByHand at the carrier' })),
  toSetByHand: Type.Optional(Type.Array(Type.String())),
  target: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'The webhook URLs the carrier must call: voice, status, fallback' })),
  application: Type.Optional(Type.Object({ id: Type.String(), changes: Type.Array(Change) }, { description: "Telnyx: the TeXML application's voice, fallback and status URLs, (or, dry, would be) pointed at this service" })),
  updated: Type.Array(Type.Object({
    e164: Type.String(),
    changes: Type.Array(Change),
  }), { description: 'Pool numbers whose voice URL, fallback URL or status callback (Telnyx: connection) were (or, dry, would be) pointed at this service' }),
  unchanged: Type.Array(Type.String()),
  missingInAccount: Type.Array(Type.String(), { description: 'Pool numbers the carrier account does not have: calls to them never reach us' }),
  notInPool: Type.Array(Type.String(), { description: 'Account numbers outside the pool: left alone' }),
  onTrunk: Type.Array(Type.String(), { description: 'Pool numbers routed to a SIP trunk, where voice URLs are ignored: fix by hand' }),
})
export type SyncReport = Static<typeof SyncReport>

export const LockParams = Type.Object({
  phoneNumber: Type.String({ minLength: 1, maxLength: 32, description: 'The registered number: 10–11 domestic digits or +81 E.164' }),
})
export const LockQuery = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 64, description: 'The tenant (bank) whose lock this is' }) })

export const LockBody = Type.Object({
  tenant: Type.String(),
  phoneNumber: Type.Object({ masked: Type.String({ description: 'R1: never the full number' }) }),
  locked: Type.Boolean(),
  lockedUntil: Type.Optional(Iso),
  failures: Type.Integer({ description: 'Failed verifications counted today (Japan day), R11' }),
  lifted: Type.Optional(Type.Boolean({ description: 'DELETE: whether a lock was in force and is now lifted' })),
})
export type LockBody = Static<typeof LockBody>

export const LiftLockBody = Type.Union([
  Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500, description: 'Why staff lift it: kept in the audit log' })) }, { additionalProperties: false }),
  Type.Null(),
])
export type LiftLockBody = Static<typeof LiftLockBody>

export const AuditQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'Entries per page' })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 0, description: 'Entries to skip (of those that match), for the next page: the answer\'s nextOffset' })),
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "Only this operator's entries (the admin token's name)" })),
  number: Type.Optional(Type.String({
    minLength: 1, maxLength: 32,
    description: "Only entries about this number: a pool number (E.164) matches its target; a customer's registered number matches lock entries by its R1 mask (the log keeps no full customer number)",
  })),
})
export type AuditQuery = Static<typeof AuditQuery>

export const AuditList = Type.Object({
  entries: Type.Array(Type.Object({
    at: Iso,
    actor: Type.String({ description: "The admin token's name" }),
    action: Type.String(),
    target: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String({ description: 'Why, where the operator said (a lifted lock)' })),
    before: Type.Optional(Type.Unknown()),
    after: Type.Optional(Type.Unknown()),
  })),
  total: Type.Integer({ description: 'Entries that match the filters (the log keeps the newest 1000)' }),
  nextOffset: Type.Optional(Type.Integer({ description: 'offset of the next page; absent on the last page' })),
}, { description: 'Newest first' })

export const HourlyQuery = Type.Object({
  hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24, default: 24, description: 'How many hours, the current one last' })),
})

export const HourlyList = Type.Object({
  hours: Type.Array(Iso, { description: 'The start of each hour, oldest first; the last is the current hour' }),
  numbers: Type.Array(Type.Object({
    e164: Type.String(),
    display: Type.String(),
    calls: Type.Array(Type.Integer(), { description: 'Calls that reached the number in each hour, any kind' }),
    verified: Type.Array(Type.Integer(), { description: 'Calls that verified a pending verification, in each hour' }),
  })),
}, { description: 'Per-hour call counters of every pool number' })
