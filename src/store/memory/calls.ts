import { DEFAULT_CARRIER, isWrongCarrier } from '../../domain/carrier.js'
import { japanDayNumber } from '../../domain/japan.js'
import { isAnsweredCall } from '../../domain/pool.js'
import { applyCall, isInsideWindow, type Verification } from '../../domain/verification.js'
import { CALL_ID_TTL_MS, type CallStore } from '../roles/calls.js'
import { HOUR_MS } from '../roles/ops.js'
import type { NumberRecord } from '../roles/pool.js'
import { numberView } from './pool.js'
import { periodKey, hashesOf, poolChanged, type MemoryState } from './state.js'
import { commit, heldOn } from './verifications.js'

// The calls role in memory: the twins of recordCall-3.lua, recordWithheldCall-2.lua and
// recordCallStatus-2.lua.

/** The carrier retries a webhook it got no answer to: a call id counts once per carrier. */
function firstSighting(state: MemoryState, carrier: string | undefined, callId: string, now: number): boolean {
  const key = `${carrier ?? DEFAULT_CARRIER}\n${callId}`
  if (state.callSids.has(key)) return false
  state.callSids.set(key, now + CALL_ID_TTL_MS)
  return true
}

/** This hour's counters of a pool number (the console's chart). */
function hourCount(state: MemoryState, number: NumberRecord, now: number): { calls: number; verified: number } {
  const key = periodKey(number.e164, Math.floor(now / HOUR_MS))
  let count = state.hourly.get(key)
  if (!count) state.hourly.set(key, (count = { calls: 0, verified: 0 }))
  return count
}

/** A call reached a pool number: it is alive, whatever the call was (includes/pool.lua note_call). */
function noteCall(state: MemoryState, number: NumberRecord, now: number): void {
  const key = periodKey(number.e164, japanDayNumber(now))
  state.dayCalls.set(key, (state.dayCalls.get(key) ?? 0) + 1)
  hourCount(state, number, now).calls++
  number.lastCallAt = now
  number.allocationsSinceCall = 0
  if (number.health === 'silent') number.health = 'ok'
}

export function memoryCalls(state: MemoryState): CallStore {
  return {
    async recordCall(input) {
      const now = state.clock()
      const changed: Verification[] = []
      if (!firstSighting(state, input.carrier, input.callSid, now)) return { outcome: 'duplicate', now, changed }
      const number = state.pool.get(input.to)
      if (!number || number.state === 'retired') return { outcome: 'unknown-number', now, changed }
      if (isWrongCarrier(number.carrier, input.carrier)) return { outcome: 'wrong-carrier', now, changed }
      noteCall(state, number, now)
      const record = heldOn(state, hashesOf(state, input.from), input.to)
      if (!record) return { outcome: 'unmatched', now, changed }
      if (record.status === 'pending' && isInsideWindow(record, now) && input.refusingTenants?.includes(record.tenant)) {
        return { outcome: 'attestation-refused', now, changed }
      }
      const t = applyCall(record, now)
      if (t.ok && t.changed && input.attestation) t.verification.callerAttestation = input.attestation
      commit(state, record, t.verification, now, changed)
      if (t.ok && t.changed) hourCount(state, number, now).verified++
      if (t.ok) return { outcome: t.changed ? 'verified' : 'repeat', now, changed }
      return { outcome: t.refusal === 'VERIFICATION_EXPIRED' ? 'expired' : 'unmatched', now, changed }
    },

    async recordWithheldCall(to, callSid, carrier) {
      const now = state.clock()
      if (!firstSighting(state, carrier, callSid, now)) return
      const number = state.pool.get(to)
      if (number && number.state !== 'retired' && !isWrongCarrier(number.carrier, carrier)) noteCall(state, number, now)
    },

    async recordCallStatus(input) {
      const answered = isAnsweredCall(input.durationSeconds)
      const found = state.pool.get(input.to)
      // Another carrier's callback cannot quarantine this number (one leaked secret, one carrier).
      const number = found && !isWrongCarrier(found.carrier, input.carrier) ? found : undefined
      if (!number) return { answered, number: null }
      const now = state.clock()
      const key = periodKey(number.e164, japanDayNumber(now))
      const outcomes = state.dayOutcomes.get(key) ?? {}
      outcomes[input.status] = (outcomes[input.status] ?? 0) + 1
      state.dayOutcomes.set(key, outcomes)
      number.lastOutcome = { status: input.status, durationSeconds: input.durationSeconds, at: now }
      if (answered) {
        number.health = 'answered'
        if (number.state !== 'retired') number.state = 'quarantined'
        poolChanged(state)
      }
      return { answered, number: numberView(state, number, now) }
    },
  }
}
