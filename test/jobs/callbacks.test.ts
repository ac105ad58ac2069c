import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { USER_AGENT, type CallbackJob } from '../../src/jobs/callbacks.js'
import { ADMIN_TOKEN, API_KEY, STORE_KINDS, bearer, buildTestApp, type TestApp } from '../support/app.js'
import { PRODUCTION_ADMIN_TOKEN, PRODUCTION_API_KEY, PRODUCTION_ENV } from '../support/production.js'
import { deleteKeys, testPrefix } from '../support/redis.js'
import { startReceiver, waitUntil, type Receiver, type Script } from './support/receiver.js'

// Signed callbacks end to end: a real app on each store, a real receiver over HTTP.

const FAST = { CALLBACK_BACKOFF_MS: '40', CALLBACK_BACKOFF_CAP_MS: '200', CALLBACK_TIMEOUT_MS: '3000' }
let sid = 0

for (const kind of STORE_KINDS) {
  describe(`callbacks on the ${kind} store`, () => {
    let t: TestApp
    let receiver: Receiver
    afterEach(async () => {
      await t?.close()
      await receiver?.close()
    })

    async function setUp(script?: Script, env: Record<string, string> = {}) {
      receiver = await startReceiver(API_KEY, script)
      t = await buildTestApp(kind, { env: { ...FAST, ...env } })
    }
    async function create(phoneNumber = '09012345678', callbackUrl = receiver.url) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber, callbackUrl } })
      expect(res.statusCode).toBe(201)
      return res.json() as { id: string; verificationNumber: { e164: string } }
    }
    async function call(v: { verificationNumber: { e164: string } }, from = '+819012345678') {
      return t.store.recordCall({ callSid: `CA${String(++sid).padStart(32, '0')}`, from, to: v.verificationNumber.e164 })
    }
    const confirm = (id: string) => t.app.inject({ method: 'POST', url: `/v1/verifications/${id}/confirm`, headers: bearer(API_KEY) })
    const deadLetters = async () => (await t.app.inject({ url: '/admin/callbacks/failed', headers: bearer(ADMIN_TOKEN) })).json().failed

    it('callbacks — verified then confirmed, signed with the API key, each body the GET body at that event', async () => {
      await setUp()
      const v = await create()
      expect((await call(v)).outcome).toBe('verified')
      expect((await confirm(v.id)).statusCode).toBe(200)
      await receiver.waitFor((r) => r.delivered.length === 2)
      const [verified, confirmed] = receiver.delivered
      expect([verified!.json.type, confirmed!.json.type]).toEqual(['verification.verified', 'verification.confirmed'])
      expect([verified!.eventId, confirmed!.eventId]).toEqual([`${v.id}.verified`, `${v.id}.confirmed`])
      expect(receiver.received.every((r) => r.signed)).toBe(true)
      expect(verified!.headers).toMatchObject({ 'content-type': 'application/json', 'user-agent': USER_AGENT })
      expect(USER_AGENT).toMatch(/^callverify\/\d+\.\d+\.\d+/)
      expect(verified!.path).toBe('/hooks/callverify?secret=s3cr3t')
      expect(verified!.json.verification).toMatchObject({ id: v.id, status: 'verified', calls: 1, phoneNumber: { masked: '*******5678' } })
      expect(verified!.json.verification.confirmedAt).toBeUndefined()
      const now = (await t.app.inject({ url: `/v1/verifications/${v.id}`, headers: bearer(API_KEY) })).json()
      expect(confirmed!.json.verification).toEqual({ ...now, remainingSeconds: 0 })
      expect(JSON.stringify(receiver.received)).not.toContain('12345678')
    })

    it('callbacks — a 500 is retried with the same event id, and the confirmed event waits for the verified one', async () => {
      // The verified event fails twice; confirmed is ready at once but must not overtake it.
      let failures = 0
      await setUp((r) => (r.json.type === 'verification.verified' && ++failures <= 2 ? 500 : 200))
      const v = await create()
      await call(v)
      await confirm(v.id)
      await receiver.waitFor((r) => r.delivered.length === 2)
      expect(receiver.received.map((r) => r.json.type)).toEqual(['verification.verified', 'verification.verified', 'verification.verified', 'verification.confirmed'])
      expect(new Set(receiver.received.slice(0, 3).map((r) => r.eventId))).toEqual(new Set([`${v.id}.verified`]))
      expect(receiver.delivered.map((r) => r.json.type)).toEqual(['verification.verified', 'verification.confirmed'])
    })

    it('callbacks — a receiver that does not answer in time is retried', async () => {
      await setUp((_r, n) => (n === 0 ? 'hang' : 200), { CALLBACK_TIMEOUT_MS: '300' })
      const v = await create()
      await call(v)
      await receiver.waitFor((r) => r.delivered.length === 1)
      // The first request is never answered: only the timeout can have sent the next one.
      expect(receiver.received.length).toBeGreaterThanOrEqual(2)
      expect(new Set(receiver.received.map((r) => r.eventId))).toEqual(new Set([`${v.id}.verified`]))
    })

    it('callbacks — a redirect is not followed and counts as a failure; exhausted, it is dead-lettered for operations', async () => {
      await setUp((r) => (r.path.startsWith('/elsewhere') ? 200 : { status: 307, headers: { location: '/elsewhere' } }), { CALLBACK_ATTEMPTS: '3' })
      const v = await create()
      await call(v)
      await waitUntil(async () => (await deadLetters()).length === 1, 10_000, 'dead letter')
      expect(receiver.received).toHaveLength(3)
      expect(receiver.received.some((r) => r.path.startsWith('/elsewhere'))).toBe(false)
      const [dead] = await deadLetters()
      expect(dead).toMatchObject({ eventId: `${v.id}.verified`, verificationId: v.id, tenant: 'demo', type: 'verification.verified', attempts: 3 })
      expect(dead.lastError).toMatch(/307.*redirects are not followed/)
      expect(dead.host).toMatch(/^127\.0\.0\.1:\d+$/)
      expect(JSON.stringify(dead)).not.toContain('s3cr3t')
      const metrics = (await t.app.inject({ url: '/metrics', headers: bearer(ADMIN_TOKEN) })).body
      expect(metrics).toMatch(/callverify_callbacks_total\{result="retried"\} 2/)
      expect(metrics).toMatch(/callverify_callbacks_total\{result="failed"\} 1/)
    })

    it('callbacks — expired is sent at the window end although nobody polls (R3)', async () => {
      await setUp(undefined, { WINDOW_SECONDS: '1' })
      const v = await create()
      if (kind === 'memory') t.clock.advance(1000) // the memory store's clock; the job's timer is real
      await receiver.waitFor((r) => r.delivered.length === 1, 5000)
      expect(receiver.delivered[0]!.json).toMatchObject({ type: 'verification.expired', verification: { id: v.id, status: 'expired', remainingSeconds: 0 } })
      // R11: the expiry counted its failure without anyone reading the verification.
      expect((await t.store.getLock('demo', '+819012345678')).failures).toBe(1)
    })

    it('callbacks — a job names only its event: forged data cannot choose the body, the target or the key; an event the store does not hold is dead-lettered', async () => {
      await setUp()
      const elsewhere = await startReceiver(API_KEY)
      onTestFinished(() => elsewhere.close())
      const v = await create()
      await call(v)
      await receiver.waitFor((r) => r.delivered.length === 1)
      // As if written into the queue by someone else: an old-style job with its own url and body,
      // and an event this verification never had.
      const forged = { eventId: `${v.id}.confirmed`, url: elsewhere.url, body: '{"type":"verification.confirmed","forged":true}', tenant: 'other' }
      await t.app.jobs.callbacks.add('callback', forged as CallbackJob, { jobId: 'forged-1', attempts: 3 })
      await t.app.jobs.callbacks.add('callback', { eventId: `${v.id}.verified`, url: elsewhere.url } as CallbackJob, { jobId: 'forged-2', attempts: 3 })
      await waitUntil(async () => (await deadLetters()).length === 1, 10_000, 'dead letter')
      await receiver.waitFor((r) => r.delivered.length === 2)
      expect(elsewhere.received).toEqual([])
      const [again] = receiver.delivered.slice(1)
      expect(again!.body).toBe(receiver.delivered[0]!.body) // the store's own verified event, the same bytes
      expect(again!.signed).toBe(true)
      const [dead] = await deadLetters()
      expect(dead).toMatchObject({ eventId: `${v.id}.confirmed`, tenant: 'demo', attempts: 1, lastError: 'the verification never became confirmed' })
    })

    it('callbacks — cancelled is sent too, and a verification without callbackUrl sends nothing', async () => {
      await setUp()
      const quiet = (await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09011112222' } })).json()
      await t.app.inject({ method: 'POST', url: `/v1/verifications/${quiet.id}/cancel`, headers: bearer(API_KEY) })
      const v = await create()
      await t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/cancel`, headers: bearer(API_KEY) })
      await receiver.waitFor((r) => r.delivered.length === 1)
      // The barrier: an event after both; once it is delivered, one for `quiet` would have been too.
      const barrier = await create('09033334444')
      await t.app.inject({ method: 'POST', url: `/v1/verifications/${barrier.id}/cancel`, headers: bearer(API_KEY) })
      await receiver.waitFor((r) => r.delivered.some((d) => d.json.verification.id === barrier.id))
      expect(receiver.received.filter((r) => r.json.verification.id !== barrier.id).map((r) => [r.json.type, r.json.verification.id])).toEqual([['verification.cancelled', v.id]])
      expect(receiver.delivered[0]!.json.verification).toMatchObject({ status: 'cancelled', cancelReason: 'backend' })
    })
  })
}

describe('callbacks in production', () => {
  const PROD = PRODUCTION_ENV
  let t: TestApp
  afterEach(async () => t?.close())

  // Production refuses the memory store (README "Security").
  for (const kind of ['redis'] as const) {
    it(`callbacks — a target that resolves to a loopback address is refused at delivery and dead-lettered at once (${kind})`, async () => {
      t = await buildTestApp(kind, { env: PROD })
      const res = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(PRODUCTION_API_KEY), payload: { phoneNumber: '09012345678', callbackUrl: 'https://localhost:9/hook?token=abc' } })
      expect(res.statusCode).toBe(201)
      const v = res.json()
      await t.store.recordCall({ callSid: `CA${String(++sid).padStart(32, '0')}`, from: '+819012345678', to: v.verificationNumber.e164 })
      const failed = async () => (await t.app.inject({ url: '/admin/callbacks/failed', headers: bearer(PRODUCTION_ADMIN_TOKEN) })).json().failed
      await waitUntil(async () => (await failed()).length === 1, 5000, 'dead letter')
      const [dead] = await failed()
      expect(dead).toMatchObject({ eventId: `${v.id}.verified`, type: 'verification.verified', host: 'localhost:9', attempts: 1, tenant: 'bank' })
      expect(dead.lastError).toMatch(/private or reserved address \((127\.0\.0\.1|::1)\)/)
    })
  }

  it('callbacks — an API key cannot read the dead letters', async () => {
    t = await buildTestApp('memory')
    expect((await t.app.inject({ url: '/admin/callbacks/failed', headers: bearer(API_KEY) })).statusCode).toBe(403)
    expect((await t.app.inject({ url: '/admin/callbacks/failed' })).statusCode).toBe(401)
  })
})

describe('callbacks with two instances sharing Redis', () => {
  const prefix = testPrefix()
  const apps: TestApp[] = []
  let receiver: Receiver
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()))
    await receiver?.close()
    await deleteKeys(prefix)
  })

  it('callbacks — every instance hears each status event, yet each event is delivered once (job id dedup)', async () => {
    receiver = await startReceiver(API_KEY)
    for (let i = 0; i < 3; i++) apps.push(await buildTestApp('redis', { keyPrefix: prefix, env: FAST }))
    const [a, b] = apps as [TestApp, TestApp]
    const v = (await a.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09012345678', callbackUrl: receiver.url } })).json()
    await b.store.recordCall({ callSid: `CA${String(++sid).padStart(32, '0')}`, from: '+819012345678', to: v.verificationNumber.e164 })
    await b.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/confirm`, headers: bearer(API_KEY) })
    await receiver.waitFor((r) => r.delivered.length === 2)
    // The barrier: a later event, heard by every instance too; a duplicate of v's would come before it.
    const w = (await apps[2]!.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09055556666', callbackUrl: receiver.url } })).json()
    await apps[2]!.app.inject({ method: 'POST', url: `/v1/verifications/${w.id}/cancel`, headers: bearer(API_KEY) })
    await receiver.waitFor((r) => r.delivered.some((d) => d.eventId === `${w.id}.cancelled`))
    expect(receiver.received.map((r) => r.eventId).filter((id) => !id.startsWith(w.id))).toEqual([`${v.id}.verified`, `${v.id}.confirmed`])
  })
})
