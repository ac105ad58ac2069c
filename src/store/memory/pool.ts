import { DEFAULT_CARRIER } from '../../domain/carrier.js'
import { japanDayNumber } from '../../domain/japan.js'
import { isAllocatable, isSilentNumber } from '../../domain/pool.js'
import { isInsideWindow, isOpen } from '../../domain/verification.js'
import { Refusal, refusalError } from '../refusals.js'
import { poolEntry, type NumberRecord, type PoolNumber, type PoolNumberPatch, type PoolStore } from '../roles/pool.js'
import { periodKey, poolChanged, type MemoryState } from './state.js'

// The pool role in memory: the twins of addNumber-3.lua, updateNumber-2.lua, markSilent-1.lua
// and of includes/pool.lua number_view.

/** A pool number as the stores answer it: its record, with what is counted of it now. */
export function numberView(state: MemoryState, record: NumberRecord, now: number): PoolNumber {
  let pending = 0
  for (const v of state.verifications.values()) {
    if (v.verificationNumber === record.e164 && isOpen(v.status) && isInsideWindow(v, now)) pending++
  }
  const key = periodKey(record.e164, japanDayNumber(now))
  return { ...record, pending, callsToday: state.dayCalls.get(key) ?? 0, outcomesToday: { ...state.dayOutcomes.get(key) } }
}

const definedOf = (patch: PoolNumberPatch): PoolNumberPatch => Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))

/** UpdateNumberOptions.guard: the twin of the guard in updateNumber-2.lua. */
function guardUpdate(state: MemoryState, record: NumberRecord, patch: PoolNumberPatch): void {
  const after = { ...record, ...definedOf(patch) }
  if (record.state === 'retired' && after.state !== 'retired') throw refusalError(Refusal.Retired)
  if (isAllocatable(record) && !isAllocatable(after) && ![...state.pool.values()].some((n) => n !== record && isAllocatable(n))) {
    throw refusalError(Refusal.LastActive)
  }
}

const byNumber = (a: NumberRecord, b: NumberRecord): number => a.e164.localeCompare(b.e164)

export function memoryPool(state: MemoryState): PoolStore {
  const { pool } = state
  return {
    async ensurePoolNumbers(numbers) {
      const now = state.clock()
      for (const entry of numbers) {
        const { e164, carrier } = poolEntry(entry)
        if (!pool.has(e164)) pool.set(e164, { e164, carrier, state: 'active', weight: 1, health: 'ok', addedAt: now, allocationsSinceCall: 0 })
      }
      poolChanged(state)
    },
    async listNumbers() {
      const now = state.clock()
      return [...pool.values()].sort(byNumber).map((n) => numberView(state, n, now))
    },
    async summarizePool() {
      return [...pool.values()].sort(byNumber).map(({ e164, carrier, state, health, weight }) => ({ e164, carrier, state, health, weight }))
    },
    async countActiveNumbers() {
      let active = 0
      for (const n of pool.values()) if (n.state === 'active') active++
      return active
    },
    async getNumber(e164) {
      const n = pool.get(e164)
      return n ? numberView(state, n, state.clock()) : null
    },
    async addNumber(input) {
      if (pool.has(input.e164)) throw refusalError(Refusal.NumberExists)
      const now = state.clock()
      const record: NumberRecord = {
        e164: input.e164, carrier: input.carrier ?? DEFAULT_CARRIER, state: 'active', weight: input.weight ?? 1, health: 'ok', addedAt: now, allocationsSinceCall: 0,
        ...(input.label !== undefined ? { label: input.label } : {}),
      }
      pool.set(input.e164, record)
      poolChanged(state)
      return numberView(state, record, now)
    },
    async updateNumber(e164, patch, options = {}) {
      const record = pool.get(e164)
      if (!record) throw refusalError(Refusal.NumberUnknown)
      const now = state.clock()
      const before = numberView(state, record, now)
      if (options.guard) guardUpdate(state, record, patch)
      Object.assign(record, definedOf(patch))
      if (patch.label === '') delete record.label // an empty label clears it, as in Redis (updateNumber-2.lua)
      poolChanged(state)
      return { before, after: numberView(state, record, now) }
    },
    async markSilent(e164, threshold) {
      const n = pool.get(e164)
      if (!n || !isSilentNumber(n, threshold)) return false
      n.health = 'silent'
      return true
    },
  }
}
