import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { loadFixture } from '../../src/carriers/twilio/fixtures.js'
import { signTwilioRequest } from '../../src/carriers/twilio/signature.js'
import { freePort } from '../support/global-setup.js'
import { killRedisServer, startRedisServer } from '../support/redis-server.js'
import { API_KEY, OTHER_API_KEY, STORE_KINDS, bearer, buildTestApp, type StoreKind, type TestApp, type TestAppOptions, deployment } from '../support/app.js'
import { commandsDuring } from '../support/monitor.js'
import { redisUrl } from '../support/redis.js'

// 429 TOO_MANY_REQUESTS: per API key (every /v1 call a backend makes), per tenant and number
// (creates), per client address (polls by poll token); in Redis mode shared by every instance.

const PHONE = '09012345678'
const BUSY_JA = 'ただ今受付が混雑しておりますので、しばらくしてからご利用下さい。'
/** Tuesday 2026-03-10 12:00 Japan time: the service-hours gate stays open whatever the real time. */
const NOON = Date.parse('2026-03-10T03:00:00Z')

function build(kind: StoreKind, env: Record<string, string>, options: TestAppOptions = {}): Promise<TestApp> {
  return buildTestApp(kind, { ...options, env, ...(kind === 'memory' ? { startAt: NOON } : { deps: { clock: () => NOON } }) })
}

const create = (t: TestApp, phoneNumber = PHONE, key = API_KEY) =>
  t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(key), payload: { phoneNumber } })

function expectLimited(res: Awaited<ReturnType<typeof create>>, windowSeconds: number) {
  expect(res.statusCode, res.body).toBe(429)
  expect(res.json()).toEqual({ error: { code: 'TOO_MANY_REQUESTS', message: expect.any(String), messageJa: BUSY_JA } })
  const retryAfter = Number(res.headers['retry-after'])
  expect(retryAfter).toBeGreaterThan(windowSeconds - 5)
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds)
}

for (const kind of STORE_KINDS) {
  describe(`rate limits on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    it('per API key — one count for every /v1 call of a tenant; the next answers 429 with Retry-After', async () => {
      t = await build(kind, { RATE_LIMIT_API_KEY_PER_MINUTE: '3' })
      const v = (await create(t)).json()
      const read = await t.app.inject({ url: `/v1/verifications/${v.id}`, headers: bearer(API_KEY) })
      expect(read.statusCode, read.body).toBe(200)
      const unknown = await t.app.inject({ url: '/v1/verifications/vf_unknown', headers: bearer(API_KEY) })
      expect(unknown.statusCode, unknown.body).toBe(404)
      expectLimited(await t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/cancel`, headers: bearer(API_KEY) }), 60)
      expectLimited(await create(t, '09087654321'), 60)
      // Another tenant, and the frontend's poll token, have counts of their own.
      expect((await create(t, PHONE, OTHER_API_KEY)).statusCode).toBe(201)
      expect((await t.app.inject({ url: `/v1/verifications/${v.id}`, headers: bearer(v.pollToken) })).statusCode).toBe(200)
    })

    it('per phone number — creates for one tenant and number per hour, in any accepted form', async () => {
      t = await build(kind, { RATE_LIMIT_PHONE_PER_HOUR: '2' })
      expect((await create(t, PHONE)).statusCode).toBe(201)
      expect((await create(t, '+819012345678')).statusCode).toBe(201)
      expectLimited(await create(t, PHONE), 3600)
      expect((await create(t, '09087654321')).statusCode).toBe(201)
      expect((await create(t, PHONE, OTHER_API_KEY)).statusCode).toBe(201)
      if (kind === 'redis') {
        // R1: no counter is named by the number (or its digest): the limiter's keys count API keys,
        // and the per-number count is two fields of the caller's hash, itself named by the HMAC.
        const redis = new Redis(redisUrl())
        try {
          const keys = await redis.keys(`${t.config.keyPrefix}rl:*`)
          for (const key of keys) expect(key.slice(t.config.keyPrefix.length)).toMatch(/^rl:key:(demo|other)$/)
          const callers = await redis.keys(`${t.config.keyPrefix}caller:*`)
          expect(callers).toHaveLength(2)
          for (const key of callers) expect(key.slice(t.config.keyPrefix.length)).toMatch(/^caller:[\w-]{43}$/)
          const counted = await Promise.all(callers.map((key) => redis.hgetall(key)))
          // PHONE: two for demo (the third refused but counted), one for other; the second number one for demo.
          expect(counted.map((h) => [h['n:demo'], h['n:other'] ?? null]).sort()).toEqual([['1', null], ['3', '1']])
          for (const h of counted) expect(Number(h['w:demo']) - Date.now()).toBeGreaterThan(3_590_000)
        } finally {
          redis.disconnect()
        }
      }
    })

    it('per client address — polls and event streams by poll token from one address; backends and other addresses are apart', async () => {
      t = await build(kind, { RATE_LIMIT_CLIENT_PER_MINUTE: '3' })
      const v = (await create(t)).json()
      await t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/cancel`, headers: bearer(API_KEY) })
      const poll = (remoteAddress: string, token = v.pollToken) =>
        t.app.inject({ url: `/v1/verifications/${v.id}`, headers: bearer(token), remoteAddress })
      // An EventSource that already saw the terminal status: answered at once.
      const events = () => t.app.inject({ url: `/v1/verifications/${v.id}/events?token=${v.pollToken}`, headers: { 'last-event-id': 'cancelled' }, remoteAddress: '198.51.100.7' })
      const hasEvents = t.app.hasRoute({ method: 'GET', url: '/v1/verifications/:id/events' }) // src/http/events.ts
      expect((await poll('198.51.100.7')).statusCode).toBe(200)
      expect((await poll('198.51.100.7')).statusCode).toBe(200)
      if (hasEvents) expect((await events()).statusCode).toBe(204)
      else expect((await poll('198.51.100.7')).statusCode).toBe(200)
      expectLimited(await poll('198.51.100.7'), 60)
      if (hasEvents) expectLimited(await events(), 60)
      // A bad token counts too: guessing is limited like polling.
      expectLimited(await poll('198.51.100.7', 'not-a-token'), 60)
      expect((await poll('198.51.100.8')).statusCode).toBe(200)
      expect((await poll('198.51.100.7', API_KEY)).statusCode).toBe(200)
    })

    it('per client address — behind a proxy (TRUST_PROXY) each X-Forwarded-For client counts apart', async () => {
      t = await build(kind, { RATE_LIMIT_CLIENT_PER_MINUTE: '1', TRUST_PROXY: '1' })
      const v = (await create(t)).json()
      const poll = (client: string) =>
        t.app.inject({ url: `/v1/verifications/${v.id}`, headers: { ...bearer(v.pollToken), 'x-forwarded-for': client }, remoteAddress: '10.0.0.2' })
      expect((await poll('203.0.113.1')).statusCode).toBe(200)
      expect((await poll('203.0.113.2')).statusCode).toBe(200)
      expectLimited(await poll('203.0.113.1'), 60)
    })

    it('webhooks — carrier calls are never limited', async () => {
      t = await build(kind, { RATE_LIMIT_API_KEY_PER_MINUTE: '1', RATE_LIMIT_CLIENT_PER_MINUTE: '1', RATE_LIMIT_PHONE_PER_HOUR: '1', RING_DELAY_MS: '0' })
      const fixture = loadFixture('voice-matched')
      for (const path of ['/webhooks/twilio/voice', '/webhooks/twilio/fallback']) {
        expect(t.app.hasRoute({ method: 'POST', url: path }), path).toBe(true)
        for (let i = 0; i < 4; i++) {
          const params = { ...(fixture.params as Record<string, string>), CallSid: `CA${randomBytes(16).toString('hex')}` }
          const res = await t.app.inject({
            method: 'POST', url: path, payload: new URLSearchParams(params).toString(),
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilioRequest(t.config.twilio.authToken, t.config.publicBaseUrl + path, params) },
          })
          expect(res.statusCode, `${path} #${i}`).toBe(200)
          expect(res.body).toContain('<Reject')
        }
      }
    })
  })
}

describe('rate limits across instances sharing Redis', () => {
  const instances = deployment()
  afterEach(() => instances.close())

  it('per API key and per phone number — requests split between two instances trip the shared limit', async () => {
    const env = { RATE_LIMIT_API_KEY_PER_MINUTE: '5', RATE_LIMIT_PHONE_PER_HOUR: '3' }
    const redisBuild = (options: TestAppOptions) => build('redis', env, options)
    const [a, b] = [await instances.instance({}, redisBuild), await instances.instance({}, redisBuild)]
    expect((await create(a!)).statusCode).toBe(201)
    expect((await create(b!)).statusCode).toBe(201)
    expect((await create(a!)).statusCode).toBe(201)
    expectLimited(await create(b!), 3600) // the 4th create for this number, 2 on each instance
    expect((await create(a!, '09087654321')).statusCode).toBe(201) // the 5th call of this tenant
    expectLimited(await create(b!, '09011112222'), 60)
    expectLimited(await a!.app.inject({ url: '/v1/verifications/vf_x', headers: bearer(API_KEY) }), 60)
  })
})

describe('rate limits in the store step (Redis)', () => {
  let t: TestApp | undefined
  afterEach(async () => t?.close())

  /** The commands of this app's verification or counter keys while `act` runs. */
  const commandsOf = (prefix: string, act: () => Promise<unknown>) =>
    commandsDuring((args) => args.some((a) => a.startsWith(`${prefix}v:`) || a.startsWith(`${prefix}rl:`)), act)

  it('a status poll and a create are one Redis command each: their counts ride in the read and create scripts', async () => {
    t = await build('redis', { RATE_LIMIT_CLIENT_PER_MINUTE: '2', RATE_LIMIT_API_KEY_PER_MINUTE: '100' })
    const prefix = t.config.keyPrefix
    let v: { id: string; pollToken: string } | undefined
    const creating = await commandsOf(prefix, async () => {
      v = (await create(t!)).json()
    })
    expect(creating).toHaveLength(1)
    expect(creating[0]!.join(' ')).toMatch(new RegExp(`${prefix}rl:key:demo `))
    const poll = () => t!.app.inject({ url: `/v1/verifications/${v!.id}`, headers: bearer(v!.pollToken), remoteAddress: '198.51.100.9' })
    const polling = await commandsOf(prefix, async () => expect((await poll()).statusCode).toBe(200))
    expect(polling).toHaveLength(1)
    expect(polling[0]).toEqual(expect.arrayContaining([`${prefix}v:${v!.id}`, `${prefix}rl:addr:198.51.100.9`]))
    expect((await poll()).statusCode).toBe(200)
    // Past the limit: still one command, and the answer is 429.
    const limited = await commandsOf(prefix, async () => expectLimited(await poll(), 60))
    expect(limited).toHaveLength(1)
  })
})

describe('rate limits while Redis is away', () => {
  let server: ChildProcess | undefined
  let t: TestApp | undefined
  afterEach(async () => {
    await t?.close().catch(() => {})
    await killRedisServer(server)
  })

  const startRedis = (port: number) => startRedisServer(port)

  it('a Redis outage skips the limits: 503 STORE_UNAVAILABLE within a second, never a 500 or a hang', async () => {
    const port = await freePort()
    server = await startRedis(port)
    t = await build('redis', { REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_API_KEY_PER_MINUTE: '2' })
    const read = () => t!.app.inject({ url: '/v1/verifications/vf_x', headers: bearer(API_KEY) })
    expect((await read()).statusCode).toBe(404)
    await killRedisServer(server)
    const started = Date.now()
    const res = await read()
    expect(Date.now() - started).toBeLessThan(1000)
    expect(res.json().error.code).toBe('STORE_UNAVAILABLE')
    // Back up (empty): the limiter counts again by itself. Closing with Redis down would also hang the job queues.
    server = await startRedis(port)
    await vi.waitFor(async () => expect((await read()).statusCode).toBe(429), { timeout: 5000, interval: 100 })
  })
})
