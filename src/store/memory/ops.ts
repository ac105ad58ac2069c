import { AUDIT_CAP, hourSpan, HOUR_MS, newMaintenanceWindow, type OpsStore } from '../roles/ops.js'
import { periodKey, sweep, type MemoryState } from './state.js'

// The operations role in memory: maintenance windows, the audit log, the hourly chart, sessions.

export function memoryOps(state: MemoryState): OpsStore {
  return {
    async listMaintenance() {
      const now = state.clock()
      state.maintenance = state.maintenance.filter((m) => m.endsAt > now)
      return [...state.maintenance].sort((a, b) => a.startsAt - b.startsAt)
    },
    async addMaintenance(window) {
      const created = newMaintenanceWindow(window)
      state.maintenance.push(created)
      return created
    },
    async removeMaintenance(id) {
      const found = state.maintenance.find((m) => m.id === id) ?? null
      state.maintenance = state.maintenance.filter((m) => m.id !== id)
      return found
    },

    async appendAudit(entry) {
      state.audit.unshift(entry)
      state.audit.length = Math.min(state.audit.length, AUDIT_CAP)
    },
    async listAudit(limit) {
      return state.audit.slice(0, limit)
    },

    async hourlyCalls(hours) {
      const { firstHour, span } = hourSpan(state.clock(), hours)
      const numbers = [...state.pool.keys()].sort().map((e164) => {
        const counts = Array.from({ length: span }, (_, i) => state.hourly.get(periodKey(e164, firstHour + i)))
        return { e164, calls: counts.map((c) => c?.calls ?? 0), verified: counts.map((c) => c?.verified ?? 0) }
      })
      return { firstHour: firstHour * HOUR_MS, numbers }
    },

    async putSession(digest, session) {
      sweep(state, state.clock())
      state.sessions.set(digest, { ...session })
    },
    async getSession(digest) {
      const session = state.sessions.get(digest)
      if (!session || session.expiresAt <= state.clock()) return null
      return { ...session }
    },
    async deleteSession(digest) {
      state.sessions.delete(digest)
    },
  }
}
