import type { MaintenanceWindow } from '../../domain/calendar.js'
import { AUDIT_CAP, hourSpan, HOUR_MS, newMaintenanceWindow, type AdminSession, type AuditEntry, type OpsStore } from '../roles/ops.js'
import { call, type RedisContext } from './context.js'

// The operations role in Redis: the hash `maintenance` (id → JSON), the list `audit` (newest
// first), hourly:{e164}:{hour} hashes and session:{digest} strings (a TTL at their expiresAt).

export function redisOps({ redis, now }: RedisContext): OpsStore {
  return {
    async listMaintenance() {
      const at = await now()
      const all = Object.values(await call(() => redis.hgetall('maintenance'))).map((json) => JSON.parse(json) as MaintenanceWindow)
      const past = all.filter((m) => m.endsAt <= at).map((m) => m.id)
      if (past.length > 0) await call(() => redis.hdel('maintenance', ...past))
      return all.filter((m) => m.endsAt > at).sort((a, b) => a.startsAt - b.startsAt)
    },
    async addMaintenance(window) {
      const created = newMaintenanceWindow(window)
      await call(() => redis.hset('maintenance', created.id, JSON.stringify(created)))
      return created
    },
    async removeMaintenance(id) {
      const json = await call(() => redis.hget('maintenance', id))
      if (!json) return null
      await call(() => redis.hdel('maintenance', id))
      return JSON.parse(json) as MaintenanceWindow
    },

    async appendAudit(entry) {
      await call(() => redis.multi().lpush('audit', JSON.stringify(entry)).ltrim('audit', 0, AUDIT_CAP - 1).exec())
    },
    async listAudit(limit) {
      return (await call(() => redis.lrange('audit', 0, limit - 1))).map((json) => JSON.parse(json) as AuditEntry)
    },

    // hourly:{e164}:{hour} hashes, written by note_call in recordCall and recordWithheldCall
    // (lua/includes/pool.lua); one MULTI reads every number's hours.
    async hourlyCalls(hours) {
      const [members, at] = await Promise.all([call(() => redis.smembers('pool:all')), now()])
      const { firstHour, span } = hourSpan(at, hours)
      const numbers = members.sort()
      const read = redis.multi()
      for (const e164 of numbers) for (let i = 0; i < span; i++) read.hmget(`hourly:${e164}:${firstHour + i}`, 'calls', 'verified')
      const replies = ((await call(() => read.exec())) ?? []) as [Error | null, (string | null)[]][]
      return {
        firstHour: firstHour * HOUR_MS,
        numbers: numbers.map((e164, n) => {
          const counts = replies.slice(n * span, (n + 1) * span).map(([, pair]) => pair)
          return { e164, calls: counts.map((c) => Number(c[0] ?? 0)), verified: counts.map((c) => Number(c[1] ?? 0)) }
        }),
      }
    },

    async putSession(digest, session) {
      await call(() => redis.set(`session:${digest}`, JSON.stringify(session), 'PXAT', session.expiresAt))
    },
    async getSession(digest) {
      const json = await call(() => redis.get(`session:${digest}`))
      return json ? (JSON.parse(json) as AdminSession) : null
    },
    async deleteSession(digest) {
      await call(() => redis.del(`session:${digest}`))
    },
  }
}
