import type { ChildProcess } from 'node:child_process'
import pino from 'pino'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { checkOutbox } from '../../src/jobs/outbox.js'
import { storeOptions } from '../../src/main.js'
import { createMetrics } from '../../src/plugins/metrics.js'
import { createMemoryStore } from '../../src/store/memory.js'
import { createRedisStore } from '../../src/store/redis/index.js'
import type { Store } from '../../src/store/types.js'
import { API_KEY, TEST_ENV, bearer, buildTestApp, type TestApp } from '../support/app.js'
import { freePort } from '../support/global-setup.js'
import { testPrefix } from '../support/redis.js'
import { killRedisServer, startRedisServer } from '../support/redis-server.js'
import { startReceiver, waitUntil, type Receiver } from './support/receiver.js'

// docs/contract.md "Event callbacks": no event is ever lost. Every change appends its event to the outbox
// in its own script; callbacks are fed from there, never from pub/sub. On a redis-server of this
// suite's own (CLIENT KILL is not for the shared one), with small stream nodes so that MAXLEN ~
// trims close to its cap.

const FAST = { CALLBACK_BACKOFF_MS: '40', CALLBACK_BACKOFF_CAP_MS: '200', CALLBACK_TIMEOUT_MS: '3000', OUTBOX_CLAIM_IDLE_MS: '300' }
let sid = 0
const callSid = () => `CA${String(++sid).padStart(32, '0')}`
const phone = (i: number) => `0901234${String(i).padStart(4, '0')}`

describe('outbox (Redis)', () => {
  let server: ChildProcess
  let url: string
  let admin: Redis
  const apps: TestApp[] = []
  const stores: Store[] = []
  let receiver: Receiver | undefined

  beforeAll(async () => {
    const port = await freePort()
    server = await startRedisServer(port, ['--stream-node-max-entries', '4'])
    url = `redis://127.0.0.1:${port}`
    admin = new Redis(url)
  })
  afterAll(async () => {
    admin?.disconnect()
    await killRedisServer(server)
  })
  afterEach(async () => {
    await receiver?.close()
    await Promise.all(apps.splice(0).map((a) => a.close()))
    await Promise.all(stores.splice(0).map((s) => s.close()))
  })

  const app = async (keyPrefix: string, env: Record<string, string> = {}) => {
    const t = await buildTestApp('redis', { keyPrefix, env: { ...FAST, REDIS_URL: url, ...env } })
    apps.push(t)
    return t
  }
  const bareStore = async (keyPrefix: string, outboxMaxLength?: number) => {
    const config = loadConfig({ ...TEST_ENV, REDIS_URL: url })
    const store = await createRedisStore({ ...storeOptions(config), ...(outboxMaxLength ? { outboxMaxLength } : {}), url, keyPrefix })
    await store.ensurePoolNumbers(config.poolNumbers)
    stores.push(store)
    return store
  }
  const open = (store: Store, i: number, callbackUrl: string) =>
    store.createVerification({ id: `vf_ob${i}_${sid}`, tenant: 'demo', phoneNumber: `+81${phone(i).slice(1)}`, pollTokenHash: 'ab', windowMs: 60_000, random: Math.random(), callbackUrl })

  it('outbox — with every pub/sub subscriber killed right before each change, all 8 verified and 8 confirmed callbacks arrive, in order, once', async () => {
    receiver = await startReceiver(API_KEY)
    const prefix = testPrefix()
    const t = await app(prefix)
    let killed = 0
    const killSubscribers = async () => (killed += Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')))
    for (let i = 0; i < 8; i++) {
      const v = (await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: phone(i), callbackUrl: receiver.url } })).json()
      await killSubscribers()
      expect((await t.store.recordCall({ callSid: callSid(), from: `+81${phone(i).slice(1)}`, to: v.verificationNumber.e164 })).outcome).toBe('verified')
      await killSubscribers()
      expect((await t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/confirm`, headers: bearer(API_KEY) })).statusCode).toBe(200)
    }
    expect(killed).toBeGreaterThan(0) // the instance's subscriber was there to be killed
    await receiver.waitFor((r) => r.delivered.length === 16, 15_000)
    const ids = receiver.delivered.map((r) => r.eventId)
    expect(new Set(ids).size).toBe(16)
    expect(ids.filter((id) => id.endsWith('.confirmed'))).toHaveLength(8)
    for (const id of ids.filter((e) => e.endsWith('.confirmed'))) {
      expect(ids.indexOf(id.replace('.confirmed', '.verified'))).toBeLessThan(ids.indexOf(id))
    }
    // Trimmed once enqueued: the outbox holds nothing that reached the queue.
    await waitUntil(async () => (await admin.xlen(`${prefix}outbox`)) === 0, 5000, 'outbox emptied')
  })

  it('outbox — entries a relay read and never acknowledged (it died) are claimed by another relay and delivered', async () => {
    receiver = await startReceiver(API_KEY)
    const prefix = testPrefix()
    const store = await bareStore(prefix)
    const v = (await open(store, 1, receiver.url)).verification
    await store.cancelVerification(v.id, 'backend')
    // A relay that read the entry and was killed before enqueueing it.
    await admin.xgroup('CREATE', `${prefix}outbox`, 'callbacks', '0', 'MKSTREAM')
    const read = (await admin.xreadgroup('GROUP', 'callbacks', 'dead-relay', 'COUNT', 10, 'STREAMS', `${prefix}outbox`, '>')) as [string, unknown[]][]
    expect(read[0]![1]).toHaveLength(1)
    await app(prefix)
    await receiver.waitFor((r) => r.delivered.length === 1, 10_000)
    expect(receiver.delivered[0]!.json).toMatchObject({ type: 'verification.cancelled', verification: { id: v.id, status: 'cancelled' } })
    expect(await admin.xlen(`${prefix}outbox`)).toBe(0)
  })

  it('outbox — two instances reading it at once deliver each of 30 events once', async () => {
    receiver = await startReceiver(API_KEY)
    const prefix = testPrefix()
    const [a, b] = [await app(prefix), await app(prefix)]
    const ids: string[] = []
    for (let i = 0; i < 30; i++) {
      const t = i % 2 === 0 ? a : b
      const v = (await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: phone(i), callbackUrl: receiver.url } })).json()
      await t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/cancel`, headers: bearer(API_KEY) })
      ids.push(`${v.id}.cancelled`)
    }
    await receiver.waitFor((r) => r.delivered.length >= 30, 15_000)
    // Barrier: the outbox is empty (every event enqueued) and no job of these events is left on the
    // shared queue (every delivery finished), so no second delivery can still be on its way.
    const settled = async () => (await admin.xlen(`${prefix}outbox`)) === 0 && (await Promise.all(ids.map((id) => a.app.jobs.callbacks.isPending(id)))).every((p) => !p)
    await waitUntil(settled, 15_000, 'the outbox drained and every callback job finished')
    expect(receiver.received.map((r) => r.eventId).sort()).toEqual(ids.sort())
    const consumers = (await admin.xinfo('CONSUMERS', `${prefix}outbox`, 'callbacks')) as unknown[][]
    expect(consumers.map((c) => c[1]).sort()).toEqual([a.app.jobs.relay.consumer, b.app.jobs.relay.consumer].sort())
  })

  it('outbox — bounded: a stopped relay lets it grow only to OUTBOX_MAX_LENGTH, with the metric and an error log', async () => {
    const prefix = testPrefix()
    const store = await bareStore(prefix, 10)
    for (let i = 0; i < 40; i++) await store.cancelVerification((await open(store, i, 'http://127.0.0.1:9/cb')).verification.id, 'backend')
    const length = await admin.xlen(`${prefix}outbox`)
    expect(length).toBeGreaterThanOrEqual(10)
    expect(length).toBeLessThanOrEqual(10 + 4) // MAXLEN ~ drops whole nodes of 4
    const lines: string[] = []
    const log = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) })
    const metrics = createMetrics()
    expect(await checkOutbox(store, 10, metrics, log)).toBe(length)
    expect(await metrics.registry.getSingleMetricAsString('callverify_outbox_entries')).toContain(`callverify_outbox_entries ${length}`)
    expect(lines.map((l) => JSON.parse(l) as { level: number; msg: string; entries: number })).toEqual([
      expect.objectContaining({ level: 50, entries: length, msg: expect.stringMatching(/outbox: events are not being enqueued/) }),
    ])
  })
})

describe('outbox (memory)', () => {
  it('outbox — a consumer group in one process: read once, claimed when idle, removed when acknowledged, capped', async () => {
    const config = loadConfig(TEST_ENV)
    const store = createMemoryStore({ ...storeOptions(config), outboxMaxLength: 10 })
    await store.ensurePoolNumbers(config.poolNumbers)
    const opened = await store.createVerification({ id: 'vf_m1', tenant: 'demo', phoneNumber: '+819012345678', pollTokenHash: 'ab', windowMs: 60_000, random: 0, callbackUrl: 'http://127.0.0.1:9/cb' })
    await store.recordCall({ callSid: callSid(), from: '+819012345678', to: opened.verification.verificationNumber })
    await store.confirmVerification('vf_m1', 'demo')
    const first = await store.outbox.read('a', 10, 0)
    expect(first.map((e) => [e.id, e.status, e.tenant, e.callback, e.wasVerified])).toEqual([
      ['vf_m1', 'verified', 'demo', true, false], ['vf_m1', 'confirmed', 'demo', true, true],
    ])
    expect(await store.outbox.read('b', 10, 0)).toEqual([]) // each entry goes to one reader
    expect(await store.outbox.claim('b', 60_000, 10)).toEqual([]) // not idle long enough
    await new Promise((r) => setTimeout(r, 30))
    expect((await store.outbox.claim('b', 20, 10)).map((e) => e.entry)).toEqual(first.map((e) => e.entry))
    await store.outbox.ack(first.map((e) => e.entry))
    expect(await store.outbox.length()).toBe(0)
    const waiting = store.outbox.read('a', 10, 5000)
    await store.cancelVerification((await store.createVerification({ id: 'vf_m2', tenant: 'demo', phoneNumber: '+819012345679', pollTokenHash: 'ab', windowMs: 60_000, random: 0 })).verification.id, 'backend')
    expect((await waiting).map((e) => [e.id, e.status, e.callback])).toEqual([['vf_m2', 'cancelled', false]]) // a blocked read wakes
    for (let i = 0; i < 30; i++) {
      await store.cancelVerification((await store.createVerification({ id: `vf_c${i}`, tenant: 'demo', phoneNumber: `+8190${String(i).padStart(8, '0')}`, pollTokenHash: 'ab', windowMs: 60_000, random: 0 })).verification.id, 'backend')
    }
    expect(await store.outbox.length()).toBe(10)
    await store.close()
  })
})
