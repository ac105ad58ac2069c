import { readFileSync } from 'node:fs'
import { DateTime } from 'luxon'
import { Redis } from 'ioredis'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { CallverifyError } from '../../src/domain/errors.js'
import { JAPAN_OFFSET_MS, japanDay, japanDayNumber, nextJapanMidnight } from '../../src/domain/japan.js'
import { createRedisStore } from '../../src/store/redis/index.js'
import { scriptSources } from '../../src/store/redis/scripts.js'
import type { CreateVerificationInput, PoolNumber, StatusEvent, Store } from '../../src/store/types.js'
import { freePort } from '../support/global-setup.js'
import { killRedisServer, startRedisServer } from '../support/redis-server.js'
import { commandsDuring } from '../support/monitor.js'
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js'
import { storeContract } from './contract.js'
import { TEST_PHONE_HASH } from '../support/app.js'
import { hashPhoneNumber } from '../../src/domain/phonehash.js'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

// Redis time cannot be moved: `advance` really waits, and the contract keeps those waits to
// its window-edge and expiry cases. Each case has its own prefix and deletes only its keys.
storeContract('redis', async ({ lockAfterFailures, retentionMs }) => {
  const keyPrefix = testPrefix()
  const store = await createRedisStore({ url: redisUrl(), keyPrefix, lockAfterFailures, retentionMs, phoneHash: TEST_PHONE_HASH })
  return {
    store,
    advance: sleep,
    cleanup: async () => {
      await store.close()
      await deleteKeys(keyPrefix)
    },
  }
})

const POOL = ['+81120000001', '+81120000002', '+81120000003']
const CALLER = '+819012345678'
let n = 0
const input = (over: Partial<CreateVerificationInput> = {}): CreateVerificationInput => ({
  id: `vf_redis_${++n}`, tenant: 'bank-a', phoneNumber: CALLER, pollTokenHash: 'h', windowMs: 120_000, random: Math.random(), ...over,
})

async function openStore(options: { keyPrefix?: string; url?: string; lockAfterFailures?: number } = {}): Promise<{ store: Store; keyPrefix: string }> {
  const keyPrefix = options.keyPrefix ?? testPrefix()
  const store = await createRedisStore({ url: options.url ?? redisUrl(), keyPrefix, lockAfterFailures: options.lockAfterFailures ?? 5, retentionMs: 3_600_000, phoneHash: TEST_PHONE_HASH })
  onTestFinished(async () => {
    await Promise.race([store.close(), sleep(2000)])
    if (!options.url) await deleteKeys(keyPrefix)
  })
  return { store, keyPrefix }
}

/** A store on a redis-server of the test's own: MONITOR there sees only this store's commands, and a new server knows no script. */
async function openOwnServer(): Promise<{ store: Store; keyPrefix: string; url: string }> {
  const port = await freePort()
  const server = await startRedisServer(port)
  onTestFinished(() => killRedisServer(server))
  const url = `redis://127.0.0.1:${port}`
  return { ...(await openStore({ url })), url }
}

describe('redis store — keys', () => {
  it('keys — everything written for verifications, calls, locks and console sessions has a TTL; only pool, maintenance and audit configuration lasts', async () => {
    const { store, keyPrefix } = await openStore({ lockAfterFailures: 1 })
    await store.ensurePoolNumbers(POOL)
    const v = (await store.createVerification(input())).verification
    await store.recordCall({ callSid: 'CAttl1', from: CALLER, to: v.verificationNumber })
    await store.recordCall({ callSid: 'CAttl2', from: '+818011112222', to: v.verificationNumber })
    await store.recordWithheldCall(v.verificationNumber, 'CAttl3')
    const open = (await store.createVerification(input({ tenant: 'bank-b' }))).verification // a second open one of the caller
    await store.cancelVerification(v.id, 'customer') // a failure and, at limit 1, a lock
    await store.addMaintenance({ startsAt: Date.now() + 3_600_000, endsAt: Date.now() + 7_200_000, note: 'm' })
    await store.appendAudit({ at: Date.now(), actor: 'ops', action: 'test' })
    await store.putSession('digest', { admin: 'ops', csrfToken: 'c', tokenMac: 'm', createdAt: Date.now(), expiresAt: Date.now() + 8 * 3_600_000 })
    expect((await store.getLock('bank-a', CALLER)).lockedUntil).toBeDefined()

    const redis = new Redis(redisUrl())
    onTestFinished(() => void redis.disconnect())
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500)
      cursor = next
      keys.push(...found.map((k) => k.slice(keyPrefix.length)))
    } while (cursor !== '0')
    const ttls = await Promise.all(keys.map(async (key) => [key, await redis.pttl(keyPrefix + key)] as const))
    const lasting = ttls.filter(([, ttl]) => ttl < 0).map(([key]) => key).sort()
    // The outbox is emptied as the relay enqueues it (none runs here), never expired: an event must
    // wait for one. A number's pending set holds its open windows only: a window leaves it when it
    // ends (or at the expiry sweep once due), and an emptied set is gone.
    expect(lasting).toEqual(['audit', 'maintenance', 'outbox', 'pool:active', 'pool:active:cdf', 'pool:all', ...POOL.map((e) => `pool:n:${e}`), `pool:pending:${open.verificationNumber}`].sort())
    expect(await redis.zrange(`${keyPrefix}pool:pending:${open.verificationNumber}`, '0', '-1')).toEqual([open.id])
    // Sanity: the kinds of keys a verification writes are all there, with a TTL.
    const kinds = new Set(ttls.filter(([, ttl]) => ttl > 0).map(([key]) => key.split(':')[0]))
    expect(kinds).toEqual(new Set(['v', 'caller', 'sid', 'calls', 'hourly', 'fail', 'lock', 'session']))
    // The console's hour counters (bounded: the chart's 24 hours and the current one), and a session of 8 hours.
    const hourly = ttls.filter(([key]) => key.startsWith('hourly:'))
    expect(hourly.map(([key]) => key)).toEqual([`hourly:${v.verificationNumber}:${Math.floor(Date.now() / 3_600_000)}`])
    expect(hourly[0]![1]).toBeLessThanOrEqual(25 * 3_600_000)
    expect(hourly[0]![1]).toBeGreaterThan(24 * 3_600_000 - 60_000)
    expect(ttls.find(([key]) => key === 'session:digest')![1]).toBeGreaterThan(8 * 3_600_000 - 60_000)
  })

  it('counts — a count taken in a store step gives its counter a TTL on the first hit, and mends one left without a TTL once past its max', async () => {
    const { store, keyPrefix } = await openStore()
    const redis = new Redis(redisUrl())
    onTestFinished(() => void redis.disconnect())
    const count = { key: 'addr:192.0.2.7', max: 2, windowMs: 60_000 }
    const counter = `${keyPrefix}rl:${count.key}`
    await store.getVerification('vf_none', [count])
    expect(await redis.pttl(counter)).toBeGreaterThan(59_000)
    await redis.persist(counter) // as if something had stripped it
    await store.getVerification('vf_none', [count])
    expect(await redis.pttl(counter)).toBe(-1) // under the max: left as it is
    const refused = await store.getVerification('vf_none', [count]).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(CallverifyError)
    expect((refused as CallverifyError).code).toBe('TOO_MANY_REQUESTS')
    expect((refused as CallverifyError).retryAfterSeconds).toBe(60)
    expect(await redis.pttl(counter)).toBeGreaterThan(59_000) // mended: it ends with this window
  })

  it('number count — kept in the caller\'s hash, which lives at least as long as the count\'s window, a refused create included', async () => {
    const { store, keyPrefix } = await openStore({ lockAfterFailures: 1 })
    await store.ensurePoolNumbers(POOL)
    const redis = new Redis(redisUrl())
    onTestFinished(() => void redis.disconnect())
    const numberCount = { max: 5, windowMs: 3 * 3_600_000 } // longer than window + retention (2 min + 1 h)
    const caller = `${keyPrefix}caller:${hashPhoneNumber(TEST_PHONE_HASH.current, CALLER)}`
    const v = (await store.createVerification(input({ numberCount }))).verification
    expect(await redis.hmget(caller, 'n:bank-a', v.verificationNumber, 'latest:bank-a')).toEqual(['1', v.id, v.id])
    expect(await redis.pttl(caller)).toBeGreaterThan(3 * 3_600_000 - 60_000)
    // Another tenant's count is its own field; a lock refuses the next create, which still counts.
    await store.cancelVerification(v.id, 'customer') // at limit 1: locked
    await redis.pexpire(caller, 1_000) // as if the hash were about to go
    const refused = await store.createVerification(input({ numberCount })).catch((error: unknown) => error)
    expect((refused as CallverifyError).code).toBe('LOCKED')
    expect(await redis.hget(caller, 'n:bank-a')).toBe('2')
    expect(await redis.pttl(caller)).toBeGreaterThan(3 * 3_600_000 - 60_000) // stretched to the count's window
    await store.createVerification(input({ tenant: 'bank-b', numberCount }))
    expect(await redis.hmget(caller, 'n:bank-a', 'n:bank-b')).toEqual(['2', '1'])
  })

  it('japan day — the Lua scripts agree with japanDay and nextJapanMidnight', async () => {
    const source = readFileSync(new URL('../../src/store/redis/lua/includes/verification.lua', import.meta.url), 'utf8')
    const samples = [
      '2027-05-12T00:00', '2027-05-12T23:59:59.999', '2027-05-13T00:00', '2027-12-31T23:59:59.999', '2028-01-01T00:00',
      '2028-02-28T23:59:59.999', '2028-02-29T12:00', '2028-03-01T00:00:00.001', '2026-11-25T08:59:59.999', '2026-11-25T09:00',
    ].map((local) => DateTime.fromISO(local, { zone: 'Asia/Tokyo' }).toMillis())
    const redis = new Redis(redisUrl())
    onTestFinished(() => void redis.disconnect())
    const lua = `${source}\nlocal out = {}\nfor i = 2, #ARGV do\n  local ms = tonumber(ARGV[i])\n  out[#out + 1] = tostring(japan_day(ms, tonumber(ARGV[1]))) .. ' ' .. tostring(next_japan_midnight(ms, tonumber(ARGV[1])))\nend\nreturn out`
    const answers = (await redis.eval(lua, 0, JAPAN_OFFSET_MS, ...samples)) as string[]
    const got = answers.map((line) => {
      const [day, midnight] = line.split(' ').map(Number)
      return { day: DateTime.fromMillis(day! * 86_400_000, { zone: 'UTC' }).toISODate(), midnight }
    })
    expect(got).toEqual(samples.map((ms) => ({ day: japanDay(ms), midnight: nextJapanMidnight(ms) })))
  })

  it('day lock — lockedUntil written by the scripts is nextJapanMidnight of the store clock, keyed by that Japan day', async () => {
    const { store, keyPrefix } = await openStore({ lockAfterFailures: 1 })
    await store.ensurePoolNumbers(POOL)
    const cancelled = await store.cancelVerification((await store.createVerification(input())).verification.id, 'customer')
    const lock = await store.getLock('bank-a', CALLER)
    expect(lock).toEqual({ tenant: 'bank-a', phoneNumber: CALLER, failures: 1, lockedUntil: nextJapanMidnight(cancelled.now) })
    const redis = new Redis(redisUrl())
    onTestFinished(() => void redis.disconnect())
    const day = japanDayNumber(cancelled.now)
    const hash = hashPhoneNumber(TEST_PHONE_HASH.current, CALLER)
    expect(await redis.get(`${keyPrefix}fail:bank-a:${hash}:${day}`)).toBe('1')
    const lockTtl = await redis.pttl(`${keyPrefix}lock:bank-a:${hash}`)
    expect(Math.abs(cancelled.now + lockTtl - nextJapanMidnight(cancelled.now))).toBeLessThan(2000)
  })
})

describe('redis store — round trips', () => {
  it('listNumbers and recordCallStatus — one round trip each, whatever the pool size', async () => {
    // MONITOR on a redis-server of this test's own: every command sent to it is this store's, but
    // the handshake of commandsDuring's own marker client.
    const sent = (args: string[]) => !['hello', 'info', 'client'].includes(args[0]!.toLowerCase())
    const { store, url } = await openOwnServer()
    expect(await store.listNumbers()).toEqual([])
    const numbers = Array.from({ length: 12 }, (_, i) => `+8112000${String(i).padStart(4, '0')}`)
    await store.ensurePoolNumbers(numbers)
    await store.createVerification(input())
    await store.recordCallStatus({ callSid: 'CArt0', to: numbers[1]!, status: 'busy', durationSeconds: 0 })

    let listed: PoolNumber[] = []
    const listing = await commandsDuring(sent, async () => (listed = await store.listNumbers()), url)
    expect(listing.map(([name]) => name)).toEqual(['evalsha'])
    expect(listed.map((n) => n.e164)).toEqual(numbers)
    expect(listed.reduce((sum, n) => sum + n.pending, 0)).toBe(1)
    expect(listed[1]!.outcomesToday).toEqual({ busy: 1 })

    let status: Awaited<ReturnType<Store['recordCallStatus']>> | undefined
    const callback = await commandsDuring(sent, async () => (status = await store.recordCallStatus({ callSid: 'CArt1', to: numbers[0]!, status: 'completed', durationSeconds: 2 })), url)
    expect(callback.map(([name]) => name)).toEqual(['evalsha'])
    expect(status).toMatchObject({ answered: true, number: { e164: numbers[0], state: 'quarantined', health: 'answered', outcomesToday: { completed: 1 } } })
  })

  it('getVerification — the status poll is one EVALSHA of pollVerification with its count; a due window a second, readVerification\'s, once', async () => {
    const { store, keyPrefix, url } = await openOwnServer()
    await store.ensurePoolNumbers(POOL)
    const v = (await store.createVerification(input({ windowMs: 400 }))).verification
    const sent = (args: string[]) => ['evalsha', 'eval'].includes(args[0]!.toLowerCase())
    const redis = new Redis(url)
    onTestFinished(() => void redis.disconnect())
    const sources = Object.fromEntries(scriptSources().map((s) => [s.name, s.lua]))
    const poll = await redis.script('LOAD', sources.pollVerification!) as string
    const read = await redis.script('LOAD', sources.readVerification!) as string
    const count = { key: 'addr:192.0.2.9', max: 100, windowMs: 60_000 }

    let found: Awaited<ReturnType<Store['getVerification']>> = null
    const open = await commandsDuring(sent, async () => (found = await store.getVerification(v.id, [count])), url)
    expect(open).toEqual([['evalsha', poll, '2', `${keyPrefix}v:${v.id}`, `${keyPrefix}rl:${count.key}`, '60000', '100']])
    expect(found!.verification).toMatchObject({ id: v.id, status: 'pending' })
    expect(found!.changed).toEqual([])
    expect(await redis.get(`${keyPrefix}rl:${count.key}`)).toBe('1')
    expect(await redis.pttl(`${keyPrefix}rl:${count.key}`)).toBeGreaterThan(59_000)
    expect(await commandsDuring(sent, () => store.getVerification('vf_none'), url)).toEqual([['evalsha', poll, '1', `${keyPrefix}v:vf_none`]])

    // Past its window and still open: the poll's script takes the count and leaves the expiry to readVerification's.
    await sleep(450)
    const expiring = await commandsDuring(sent, async () => (found = await store.getVerification(v.id, [count])), url)
    expect(expiring.map(([name, sha]) => [name, sha])).toEqual([['evalsha', poll], ['evalsha', read]])
    expect(expiring[1]!.slice(2, 4)).toEqual(['1', `${keyPrefix}v:${v.id}`]) // no count the second time
    expect(found!.verification.status).toBe('expired')
    expect(found!.changed.map((c) => c.status)).toEqual(['expired'])
    expect(await redis.get(`${keyPrefix}rl:${count.key}`)).toBe('2')
    expect((await commandsDuring(sent, () => store.getVerification(v.id), url)).map(([, sha]) => sha)).toEqual([poll])
    // Two counts: readVerification's, which stops at the first past its max.
    expect((await commandsDuring(sent, () => store.getVerification(v.id, [count, { ...count, key: 'key:b' }]), url)).map(([, sha]) => sha)).toEqual([read])
  })

  it('getVerification — readers racing on a due window: each sees it expired, one of them reports the change, the failure counted once', async () => {
    const { store } = await openStore()
    await store.ensurePoolNumbers(POOL)
    const v = (await store.createVerification(input({ windowMs: 200, tenant: 'bank-race' }))).verification
    await sleep(250)
    const reads = await Promise.all(Array.from({ length: 8 }, () => store.getVerification(v.id)))
    expect(reads.every((r) => r!.verification.status === 'expired')).toBe(true)
    expect(reads.flatMap((r) => r!.changed).map((c) => c.id)).toEqual([v.id])
    expect((await store.getLock('bank-race', CALLER)).failures).toBe(1)
  })

  it('scripts — sent by EVALSHA; with the script cache emptied (a failover, SCRIPT FLUSH) one EVAL loads each again, and nothing fails', async () => {
    const sent = (args: string[]) => ['evalsha', 'eval'].includes(args[0]!.toLowerCase())
    const { store, keyPrefix, url } = await openOwnServer()
    await store.ensurePoolNumbers(POOL)
    const first = await commandsDuring(sent, () => store.createVerification(input()), url)
    expect(first.map(([name]) => name)).toEqual(['evalsha', 'eval']) // a new server knows no script yet
    const loaded = await commandsDuring(sent, () => store.createVerification(input({ tenant: 'bank-b' })), url)
    expect(loaded.map(([name]) => name)).toEqual(['evalsha'])
    const redis = new Redis(url)
    onTestFinished(() => void redis.disconnect())
    await redis.script('FLUSH')
    let opened: Awaited<ReturnType<Store['createVerification']>> | undefined
    const again = await commandsDuring(sent, async () => (opened = await store.createVerification(input({ tenant: 'bank-c', counts: [{ key: 'key:bank-c', max: 10, windowMs: 60_000 }] }))), url)
    expect(again.map(([name]) => name)).toEqual(['evalsha', 'eval'])
    expect(opened!.verification).toMatchObject({ tenant: 'bank-c', status: 'pending' })
    // The keys carry the store's prefix, as every other command's do; the script's own ARGV[1] is that prefix.
    const [, , count, ...rest] = again[1]!
    expect(Number(count)).toBe(5) // caller, pool:active, lock, v and the API key's counter
    expect(rest.slice(0, Number(count)).every((key) => key.startsWith(keyPrefix))).toBe(true)
    expect(rest[Number(count)]).toBe(keyPrefix)
  })
})

describe('redis store — instances', () => {
  it('onStatus — a change made through one instance reaches another on the same prefix', async () => {
    const { store: a, keyPrefix } = await openStore()
    const { store: b } = await openStore({ keyPrefix })
    const { store: elsewhere } = await openStore()
    const onB: StatusEvent[] = []
    const onElsewhere: StatusEvent[] = []
    b.onStatus((event) => onB.push(event))
    elsewhere.onStatus((event) => onElsewhere.push(event))
    await a.ensurePoolNumbers(POOL)
    const v = (await a.createVerification(input())).verification
    expect((await b.getVerification(v.id))!.verification.status).toBe('pending')
    await a.recordCall({ callSid: 'CAinst1', from: CALLER, to: v.verificationNumber })
    await a.confirmVerification(v.id, 'bank-a')
    await vi.waitFor(() => expect(onB).toEqual([{ id: v.id, status: 'verified' }, { id: v.id, status: 'confirmed' }]), { timeout: 2000, interval: 10 })
    expect((await b.getVerification(v.id))!.verification.status).toBe('confirmed')
    expect(onElsewhere).toEqual([])
  })
})

describe('redis store — expiry sweep', () => {
  it('expireDue — drops stale index members (hash gone past retention, or ended) without an event or a count', async () => {
    const { store, keyPrefix } = await openStore()
    await store.ensurePoolNumbers(POOL)
    const gone = (await store.createVerification(input({ windowMs: 200 }))).verification
    const ended = (await store.createVerification(input({ windowMs: 200, phoneNumber: '+818011112222' }))).verification
    const due = (await store.createVerification(input({ windowMs: 200, phoneNumber: '+817011112222' }))).verification
    const redis = new Redis(redisUrl())
    onTestFinished(() => void redis.disconnect())
    await redis.del(`${keyPrefix}v:${gone.id}`)
    await redis.hset(`${keyPrefix}v:${ended.id}`, 'status', 'cancelled') // as if its ZREM had been lost
    await sleep(300)
    // Stale members take their place in the batch: the sweep's caller goes on at the next tick.
    const swept: string[] = []
    for (let i = 0; i < 3; i++) swept.push(...(await store.expireDue(1)).changed.map((v) => v.id))
    expect(swept).toEqual([due.id])
    const members = await Promise.all(POOL.map((e) => redis.zrange(`${keyPrefix}pool:pending:${e}`, '0', '-1')))
    expect(members.flat()).toEqual([])
    expect((await store.getLock('bank-a', '+818011112222')).failures).toBe(0)
  })
})

describe('redis store — availability', () => {
  const startRedis = (port: number) => startRedisServer(port)
  const stopRedis = killRedisServer

  async function timed<T>(run: () => Promise<T>): Promise<{ error: unknown; ms: number }> {
    const start = performance.now()
    try {
      await run()
      return { error: undefined, ms: performance.now() - start }
    } catch (error) {
      return { error, ms: performance.now() - start }
    }
  }

  it('unreachable Redis — calls reject with STORE_UNAVAILABLE within a second, and the store recovers by itself', async () => {
    const port = await freePort()
    let server = await startRedis(port)
    onTestFinished(() => stopRedis(server))
    const { store } = await openStore({ url: `redis://127.0.0.1:${port}` })
    await store.ensurePoolNumbers(POOL)
    const events: StatusEvent[] = []
    store.onStatus((event) => events.push(event))

    await stopRedis(server)
    const calls: [string, () => Promise<unknown>][] = [
      ['createVerification', () => store.createVerification(input())],
      ['getVerification', () => store.getVerification('vf_x')],
      ['recordCall', () => store.recordCall({ callSid: 'CAdown', from: CALLER, to: POOL[0]! })],
      ['listNumbers', () => store.listNumbers()],
      ['ping', () => store.ping()],
    ]
    for (const [name, run] of calls) {
      const { error, ms } = await timed(run)
      expect(error, name).toBeInstanceOf(CallverifyError)
      expect((error as CallverifyError).code, name).toBe('STORE_UNAVAILABLE')
      expect(ms, name).toBeLessThan(1000)
    }

    server = await startRedis(port)
    await vi.waitFor(() => store.ping(), { timeout: 5000, interval: 100 })
    // The restarted server is empty (no persistence): scripts load again, data starts over.
    await store.ensurePoolNumbers(POOL)
    const v = (await store.createVerification(input())).verification
    expect(v.status).toBe('pending')
    expect((await store.recordCall({ callSid: 'CAup', from: CALLER, to: v.verificationNumber })).outcome).toBe('verified')
    await vi.waitFor(() => expect(events).toContainEqual({ id: v.id, status: 'verified' }), { timeout: 3000, interval: 20 })
  })
})
