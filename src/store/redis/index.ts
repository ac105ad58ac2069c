import { EventEmitter } from 'node:events'
import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { RedisTarget } from '../../config.js'
import { DEFAULT_CARRIER, decodeAttestation, encodeAttestation } from '../../domain/carrier.js'
import { JAPAN_OFFSET_MS, japanDayNumber } from '../../domain/japan.js'
import { maskPhoneNumber } from '../../domain/phone.js'
import { hashedPhone } from '../../domain/phonehash.js'
import { isAnsweredCall } from '../../domain/pool.js'
import type { CancelReason, Verification } from '../../domain/verification.js'
import { openedVerification } from '../allocation.js'
import { Refusal, refusalError, withChanged } from '../refusals.js'
import { HOUR_MS, HOURLY_HOURS } from '../types.js'
import type {
  AdminSession, AuditEntry, CallOutcome, CreateVerificationInput, DayLock, MaintenanceWindow, NumberHealth, NumberState,
  Outcome, PoolNumber, PoolSummary, RateCount, StatusEvent, Store, StoreOptions,
} from '../types.js'
import { CALL_ID_TTL_MS } from '../types.js'
import { toStoreError } from '../failure.js'
import { createRedisOutbox, DEFAULT_OUTBOX_MAX_LENGTH } from './outbox.js'
import { coalesceWrites, openRedis, STORE_CONNECTION_OPTIONS, waitReady } from './connection.js'
import { defineScripts } from './scripts.js'

// The production store: every read-and-decide step is one Lua script (lua/), keys under one
// prefix, windows judged by Redis TIME. Status events cross instances on one pub/sub channel.

const AUDIT_CAP = 1000

export interface RedisStoreOptions extends StoreOptions {
  /** A redis:// URL, or the Sentinels (config.redis). */
  url: RedisTarget
  keyPrefix: string
}

type Hash = Record<string, string | number>

/** A call id counts once per carrier: two carriers' ids may collide, a retry of one may not. */
const sidKey = (carrier: string | undefined, callId: string): string => `sid:${carrier ?? DEFAULT_CARRIER}:${callId}`
/** ',a,b,' so a script can find ',tenant,' with string.find (tenant names hold no comma: config.ts). */
const tenantList = (tenants: string[] | undefined): string => (tenants && tenants.length > 0 ? `,${tenants.join(',')},` : '')
interface ScriptReply { r: number; now: number; v: Hash; changed: Hash[] | Record<string, never> }

/**
 * Rate-limit counts (RateCount) ride on a script as extra KEYS (a count's previous-key counter right
 * after it) and (window, max, previous) ARGV triples (includes/counts.lua).
 */
function countKeys(counts: RateCount[]): string[] {
  const keys: string[] = []
  for (const c of counts) {
    keys.push(`rl:${c.key}`)
    if (c.previousKey !== undefined) keys.push(`rl:${c.previousKey}`)
  }
  return keys
}
function countArgs(counts: RateCount[]): number[] {
  const args: number[] = []
  for (const c of counts) args.push(c.windowMs, c.max, c.previousKey === undefined ? 0 : 1)
  return args
}

const num = (value: string | number | undefined): number | undefined => (value === undefined || value === '' ? undefined : Number(value))

function toVerification(h: Hash): Verification {
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

// readVerification-n.lua answers -1, {-12, ttl}, or one string: expired, now, then READ_FIELDS'
// values ('' when absent), joined by \x1f. The last value is the rest of the string, whatever it holds.
function readReply(reply: -1 | string | [number, number]): Outcome | null {
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

/** A JSON script reply's `changed` (cjson writes an empty list as {}). */
const changedOf = (reply: ScriptReply): Verification[] => (Array.isArray(reply.changed) ? reply.changed.map(toVerification) : [])

function toNumberRecord(h: Hash): Omit<PoolNumber, 'pending' | 'callsToday' | 'outcomesToday'> {
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

export async function createRedisStore(options: RedisStoreOptions): Promise<Store> {
  // The commands of all requests arriving in one turn of the event loop go in one write (a socket
  // write per command was a quarter of a status poll's CPU): connection.ts coalesceWrites.
  const redis = coalesceWrites(openRedis(options.url, { ...STORE_CONNECTION_OPTIONS, keyPrefix: options.keyPrefix }))
  const subscriber = openRedis(options.url, { ...STORE_CONNECTION_OPTIONS, enableOfflineQueue: true, maxRetriesPerRequest: null })
  redis.on('error', () => {}) // surfaced per request as STORE_UNAVAILABLE; ioredis reconnects
  subscriber.on('error', () => {})
  defineScripts(redis)
  await Promise.all([waitReady(redis), waitReady(subscriber)])
  const channel = `${options.keyPrefix}events`
  const events = new EventEmitter().setMaxListeners(0)
  await subscriber.subscribe(channel)
  subscriber.on('message', (_channel: string, message: string) => {
    try {
      events.emit('status', JSON.parse(message) as StatusEvent)
    } catch {
      // not ours
    }
  })
  return createStoreOn(redis, options, events, async () => {
    await subscriber.quit().catch(() => subscriber.disconnect())
  })
}

/** A number's lock and day count keys, in pairs: under its HMAC with the current key, then the previous one in a rotation. */
function lockKeys(options: RedisStoreOptions, tenant: string, e164: string, day: number): string[] {
  const { hash, previousHash } = hashedPhone(options.phoneHash, e164)
  return [hash, ...(previousHash ? [previousHash] : [])].flatMap((h) => [`lock:${tenant}:${h}`, `fail:${tenant}:${h}:${day}`])
}

function createStoreOn(redis: Redis, options: RedisStoreOptions, events: EventEmitter, closeSubscriber: () => Promise<void>): Store {
  const common = [options.keyPrefix, options.lockAfterFailures, JAPAN_OFFSET_MS, options.retentionMs, options.outboxMaxLength ?? DEFAULT_OUTBOX_MAX_LENGTH] as const
  const outbox = createRedisOutbox(options, redis)

  // No driver error leaves the store: its command's args hold callers' hashes, URLs and Lua sources.
  const storeError = toStoreError

  // A chained catch rather than an async wrapper: one promise fewer on every store call.
  function call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return run().catch((error: unknown) => Promise.reject(storeError(error)))
    } catch (error) {
      return Promise.reject(storeError(error))
    }
  }

  async function script(run: () => Promise<string>): Promise<ScriptReply> {
    return JSON.parse(await call(run)) as ScriptReply
  }

  // A refusal carries what its answer needs: the lock's end (create) and the store's clock for
  // Retry-After, or the time left in a rate-limit window; refusalError takes what its code uses.
  function outcome(reply: ScriptReply): Outcome {
    const changed = changedOf(reply)
    if (reply.r < 0) {
      const { lockedUntil, retryAfterMs } = reply.v
      throw withChanged(refusalError(reply.r as Refusal, {
        now: reply.now,
        ...(lockedUntil !== undefined ? { lockedUntil: Number(lockedUntil) } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs: Number(retryAfterMs) } : {}),
      }), changed)
    }
    return { verification: toVerification(reply.v), now: reply.now, changed }
  }

  // The status poll's step: no async wrappers between the script's reply and the caller.
  function read(id: string, counts: RateCount[] = []): Promise<Outcome | null> {
    return call(() => redis.readVerification(1 + counts.length, `v:${id}`, ...countKeys(counts), ...common, ...countArgs(counts)))
      .then(readReply)
  }

  async function now(): Promise<number> {
    const [seconds, micros] = await call(() => redis.time())
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
  }

  async function numberView(h: Hash, at: number): Promise<PoolNumber> {
    const record = toNumberRecord(h)
    const day = japanDayNumber(at)
    const [[, pending], [, calls], [, outcomes]] = (await call(() =>
      redis.multi()
        .zcount(`pool:pending:${record.e164}`, `(${at}`, '+inf')
        .get(`calls:${record.e164}:${day}`)
        .hgetall(`outcomes:${record.e164}:${day}`)
        .exec(),
    )) as [[null, number], [null, string | null], [null, Record<string, string>]]
    const outcomesToday = Object.fromEntries(Object.entries(outcomes).map(([status, count]) => [status, Number(count)]))
    return { ...record, pending: Number(pending), callsToday: Number(calls ?? 0), outcomesToday }
  }

  // During a rotation a lock or a day's failures may sit under either key's hash: both count.
  async function lockState(tenant: string, phoneNumber: string, at: number): Promise<DayLock> {
    const day = japanDayNumber(at)
    const values = await call(() => redis.mget(...lockKeys(options, tenant, phoneNumber, day)))
    let failures = 0
    let lockedUntil: number | undefined
    for (let i = 0; i < values.length; i += 2) {
      failures += Number(values[i + 1] ?? 0)
      if (values[i]) lockedUntil = Math.max(lockedUntil ?? 0, Number(values[i]))
    }
    return { tenant, phoneNumber, failures, ...(lockedUntil !== undefined ? { lockedUntil } : {}) }
  }

  return {
    kind: 'redis',
    outbox,
    now,
    async ping() {
      await call(() => redis.ping())
    },
    async close() {
      events.removeAllListeners()
      await outbox.close()
      await closeSubscriber()
      await redis.quit().catch(() => redis.disconnect())
    },

    async hit(key: string, windowMs: number) {
      const [current, ttlMs] = await call(() => redis.hit(`rl:${key}`, windowMs))
      return { current, ttlMs }
    },

    async createVerification(input: CreateVerificationInput) {
      const counts = input.counts ?? []
      const countKeyList = countKeys(counts)
      const { hash, previousHash } = hashedPhone(options.phoneHash, input.phoneNumber)
      const masked = maskPhoneNumber(input.phoneNumber)
      const answer = await call(() =>
        redis.createVerification(
          4 + countKeyList.length,
          `caller:${hash}`, 'pool:active', `lock:${input.tenant}:${hash}`, `v:${input.id}`, ...countKeyList,
          ...common, input.id, input.tenant, hash, input.pollTokenHash, input.windowMs, input.random,
          input.reference ?? '', input.callbackUrl ?? '', masked, previousHash ?? '', ...countArgs(counts),
        ),
      )
      // Opened: {0, now, number[, changed JSON]}, no JSON for what the caller already knows.
      if (Array.isArray(answer)) {
        const now = Number(answer[1])
        const changed = answer.length > 3 ? (JSON.parse(String(answer[3])) as Hash[]).map(toVerification) : []
        return { verification: openedVerification(input, { hash, masked }, String(answer[2]), now), now, changed }
      }
      return outcome(JSON.parse(answer) as ScriptReply)
    },

    getVerification: read,
    async confirmVerification(id: string, tenant: string) {
      return outcome(await script(() => redis.confirmVerification(`v:${id}`, ...common, tenant)))
    },
    async cancelVerification(id: string, reason: CancelReason, tenant?: string) {
      return outcome(await script(() => redis.cancelVerification(`v:${id}`, ...common, tenant ?? '', reason)))
    },
    async expireDue(limit: number) {
      const reply = await script(() => redis.expireDue('pool:all', ...common, limit))
      return { now: reply.now, changed: changedOf(reply) }
    },

    async recordCall(input) {
      const { hash, previousHash } = hashedPhone(options.phoneHash, input.from)
      const reply = await script(() =>
        redis.recordCall(
          sidKey(input.carrier, input.callSid), `caller:${hash}`, `pool:n:${input.to}`, ...common, input.to, CALL_ID_TTL_MS, previousHash ?? '',
          input.carrier ?? DEFAULT_CARRIER, encodeAttestation(input.attestation), tenantList(input.refusingTenants),
        ),
      )
      return { outcome: reply.v.outcome as CallOutcome, now: reply.now, changed: changedOf(reply) }
    },
    async recordWithheldCall(to, callSid, carrier) {
      await call(() => redis.recordWithheldCall(sidKey(carrier, callSid), `pool:n:${to}`, ...common, to, CALL_ID_TTL_MS, carrier ?? DEFAULT_CARRIER))
    },
    async recordCallStatus(input) {
      const answered = await call(() => redis.recordCallStatus(`pool:n:${input.to}`, 'pool:active', input.durationSeconds, input.status, options.keyPrefix, JAPAN_OFFSET_MS, input.carrier ?? DEFAULT_CARRIER))
      const h = answered === Refusal.NumberUnknown ? null : await call(() => redis.hgetall(`pool:n:${input.to}`))
      return { answered: isAnsweredCall(input.durationSeconds), number: h ? await numberView(h, await now()) : null }
    },

    onStatus(listener: (event: StatusEvent) => void) {
      events.on('status', listener)
      return () => events.off('status', listener)
    },

    async ensurePoolNumbers(numbers) {
      for (const entry of numbers) {
        const { e164, carrier } = typeof entry === 'string' ? { e164: entry, carrier: DEFAULT_CARRIER } : entry
        await call(() => redis.addNumber(`pool:n:${e164}`, 'pool:all', 'pool:active', e164, 1, '', carrier))
      }
    },
    async listNumbers() {
      const members = (await call(() => redis.smembers('pool:all'))).sort()
      const at = await now()
      const views: PoolNumber[] = []
      for (const e164 of members) {
        const h = await call(() => redis.hgetall(`pool:n:${e164}`))
        if (h.e164) views.push(await numberView(h, at))
      }
      return views
    },
    async summarizePool() {
      const flat = await call(() => redis.summarizePool('pool:all', options.keyPrefix))
      const numbers: PoolSummary[] = []
      for (let i = 0; i < flat.length; i += 5) {
        numbers.push({ e164: flat[i]!, state: flat[i + 1] as NumberState, health: flat[i + 2] as NumberHealth, weight: Number(flat[i + 3]), carrier: flat[i + 4]! })
      }
      return numbers
    },
    async countActiveNumbers() {
      return call(() => redis.hlen('pool:active'))
    },
    async getNumber(e164) {
      const h = await call(() => redis.hgetall(`pool:n:${e164}`))
      return h.e164 ? numberView(h, await now()) : null
    },
    async addNumber(input) {
      const reply = await call(() => redis.addNumber(`pool:n:${input.e164}`, 'pool:all', 'pool:active', input.e164, input.weight ?? 1, input.label ?? '', input.carrier ?? DEFAULT_CARRIER))
      if (reply === Refusal.NumberExists) throw refusalError(Refusal.NumberExists)
      return numberView(JSON.parse(String(reply)) as Hash, await now())
    },
    async updateNumber(e164, patch, options = {}) {
      const label = patch.label === undefined ? '' : patch.label === '' ? '\0' : patch.label
      const reply = await call(() =>
        redis.updateNumber(`pool:n:${e164}`, 'pool:active', patch.state ?? '', patch.weight ?? '', label, patch.health ?? '', options.guard ? '1' : '', patch.carrier ?? ''),
      )
      if (typeof reply === 'number') throw refusalError(reply as Refusal)
      const { before, after } = JSON.parse(String(reply)) as { before: Hash; after: Hash }
      const at = await now()
      return { before: await numberView(before, at), after: await numberView(after, at) }
    },

    async markSilent(e164, threshold) {
      return (await call(() => redis.markSilent(`pool:n:${e164}`, threshold))) === 1
    },

    async getLock(tenant, phoneNumber) {
      return lockState(tenant, phoneNumber, await now())
    },
    async clearLock(tenant, phoneNumber) {
      const at = await now()
      const before = await lockState(tenant, phoneNumber, at)
      const day = japanDayNumber(at)
      await call(() => redis.del(...lockKeys(options, tenant, phoneNumber, day)))
      return before
    },

    async listMaintenance() {
      const at = await now()
      const all = Object.values(await call(() => redis.hgetall('maintenance'))).map((json) => JSON.parse(json) as MaintenanceWindow)
      const past = all.filter((m) => m.endsAt <= at).map((m) => m.id)
      if (past.length > 0) await call(() => redis.hdel('maintenance', ...past))
      return all.filter((m) => m.endsAt > at).sort((a, b) => a.startsAt - b.startsAt)
    },
    async addMaintenance(window) {
      const created: MaintenanceWindow = { ...window, id: `mw_${randomUUID()}` }
      await call(() => redis.hset('maintenance', created.id, JSON.stringify(created)))
      return created
    },
    async removeMaintenance(id) {
      const json = await call(() => redis.hget('maintenance', id))
      if (!json) return null
      await call(() => redis.hdel('maintenance', id))
      return JSON.parse(json) as MaintenanceWindow
    },

    async appendAudit(entry: AuditEntry) {
      await call(() => redis.multi().lpush('audit', JSON.stringify(entry)).ltrim('audit', 0, AUDIT_CAP - 1).exec())
    },
    async listAudit(limit) {
      return (await call(() => redis.lrange('audit', 0, limit - 1))).map((json) => JSON.parse(json) as AuditEntry)
    },

    // hourly:{e164}:{hour} hashes, written by note_call in recordCall and recordWithheldCall
    // (lua/includes/pool.lua); one round trip for every number and hour.
    async hourlyCalls(hours) {
      const span = Math.min(hours, HOURLY_HOURS)
      const [members, at] = await Promise.all([call(() => redis.smembers('pool:all')), now()])
      const firstHour = Math.floor(at / HOUR_MS) - span + 1
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
