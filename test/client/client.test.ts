import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Callverify, CallverifyError, type CallverifyErrorCode } from '../../src/client/index.js'
import { SEED_CALENDAR } from '../../src/domain/calendar.js'
import { ADMIN_TOKEN, API_KEY, OTHER_API_KEY } from '../support/app.js'
import { signedCall, startOrigin, startService, type Origin, type Service } from '../support/service.js'

// callverify/client against the service on a real listener: a whole flow, every error code a
// backend can meet mapped to CallverifyError with its fields, and what is retried and what not.

const services: Service[] = []
async function service(env: Record<string, string> = {}, deps: Parameters<typeof startService>[1] = {}): Promise<Service> {
  const s = await startService(env, deps)
  services.push(s)
  return s
}
afterAll(async () => {
  await Promise.all(services.map((s) => s.close()))
})

/** The CallverifyError a call throws (the test fails if it does not throw one). */
async function refusal(call: Promise<unknown>): Promise<CallverifyError> {
  const error = await call.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(CallverifyError)
  return error as CallverifyError
}

async function expectCode(call: Promise<unknown>, code: CallverifyErrorCode, status: number): Promise<CallverifyError> {
  const error = await refusal(call)
  expect({ code: error.code, status: error.status }).toEqual({ code, status })
  expect(error.messageJa.length).toBeGreaterThan(0)
  return error
}

describe('callverify/client — a whole flow', () => {
  let s: Service
  let cv: Callverify
  beforeAll(async () => {
    s = await service()
    cv = new Callverify({ baseUrl: `${s.url}/`, apiKey: API_KEY })
  })

  it('create → waitFor verified (the customer calls meanwhile) → confirm → get', async () => {
    const created = await cv.create({ phoneNumber: '09012345678', reference: 'order-1' })
    expect(created).toMatchObject({ status: 'pending', phoneNumber: { masked: '*******5678' }, reference: 'order-1', windowSeconds: 120 })
    expect(created.pollToken.length).toBeGreaterThanOrEqual(22)
    const waiting = cv.waitFor(created.id, { until: 'verified', timeoutMs: 10_000 })
    expect(await signedCall(s, '+819012345678', created.verificationNumber.e164)).toBe(200)
    const verified = await waiting
    expect(verified.status).toBe('verified')
    expect(verified.calls).toBe(1)
    const confirmed = await cv.confirm(created.id)
    expect(confirmed.status).toBe('confirmed')
    expect((await cv.get(created.id)).confirmedAt).toBe(confirmed.confirmedAt)
    // Confirming a confirmed one answers 200 again (docs/contract.md), so a retry is harmless.
    expect((await cv.confirm(created.id)).status).toBe('confirmed')
  })

  it('waitFor — answers the status when its time is up, and at once on a terminal status', async () => {
    const created = await cv.create({ phoneNumber: '09012345679' })
    const started = Date.now()
    expect((await cv.waitFor(created.id, { until: 'verified', timeoutMs: 1200 })).status).toBe('pending')
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
    await cv.cancel(created.id)
    expect((await cv.waitFor(created.id, { until: 'verified', timeoutMs: 10_000 })).status).toBe('cancelled')
  })
})

describe('callverify/client — each error code', () => {
  let s: Service
  let cv: Callverify
  beforeAll(async () => {
    s = await service({ POOL_NUMBERS: '+81120000001', RATE_LIMIT_PHONE_PER_HOUR: '3' })
    cv = new Callverify({ baseUrl: s.url, apiKey: API_KEY })
  })

  it('INVALID_REQUEST, INVALID_PHONE_NUMBER, UNAUTHORIZED, FORBIDDEN, NOT_FOUND', async () => {
    const invalid = await expectCode(cv.create({ phoneNumber: '' }), 'INVALID_REQUEST', 400)
    expect(invalid.body.details?.[0]?.path).toBe('body/phoneNumber')
    await expectCode(cv.create({ phoneNumber: '0120000000' }), 'INVALID_PHONE_NUMBER', 400)
    const created = await cv.create({ phoneNumber: '09011110001' })
    await expectCode(new Callverify({ baseUrl: s.url, apiKey: 'not-a-key-at-all' }).get(created.id), 'UNAUTHORIZED', 401)
    await expectCode(new Callverify({ baseUrl: s.url, apiKey: created.pollToken }).confirm(created.id), 'FORBIDDEN', 403)
    await expectCode(cv.get('vf_unknown'), 'NOT_FOUND', 404)
    // Another tenant's verification does not exist for this one.
    await expectCode(new Callverify({ baseUrl: s.url, apiKey: OTHER_API_KEY }).get(created.id), 'NOT_FOUND', 404)
    await cv.cancel(created.id)
  })

  it('VERIFICATION_PENDING, VERIFICATION_CANCELLED, VERIFICATION_CONFIRMED', async () => {
    const a = await cv.create({ phoneNumber: '09011110002' })
    await expectCode(cv.confirm(a.id), 'VERIFICATION_PENDING', 409)
    await cv.cancel(a.id)
    await expectCode(cv.confirm(a.id), 'VERIFICATION_CANCELLED', 409)
    const b = await cv.create({ phoneNumber: '09011110003' })
    await signedCall(s, '+819011110003', b.verificationNumber.e164)
    await cv.waitFor(b.id, { until: 'verified', timeoutMs: 5000 })
    await cv.confirm(b.id)
    await expectCode(cv.cancel(b.id), 'VERIFICATION_CONFIRMED', 409)
  })

  it('POOL_EXHAUSTED: one pool number, the caller already waiting on it for another tenant', async () => {
    const mine = await cv.create({ phoneNumber: '09011110004' })
    const other = new Callverify({ baseUrl: s.url, apiKey: OTHER_API_KEY })
    const error = await expectCode(other.create({ phoneNumber: '09011110004' }), 'POOL_EXHAUSTED', 503)
    expect(error.retryAfterSeconds).toBeGreaterThan(0)
    await cv.cancel(mine.id)
  })

  it('TOO_MANY_REQUESTS: past the per-number limit, with retryAfterSeconds; create is never retried', async () => {
    for (let i = 0; i < 3; i++) await cv.create({ phoneNumber: '09011110005' })
    const started = Date.now()
    const error = await expectCode(cv.create({ phoneNumber: '09011110005' }), 'TOO_MANY_REQUESTS', 429)
    expect(error.retryAfterSeconds).toBeGreaterThan(1000)
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('CONGESTED: a Retry-After longer than maxRetryDelayMs is not waited for', async () => {
    let congested = false
    const busy = await service({}, { congested: () => congested })
    const client = new Callverify({ baseUrl: busy.url, apiKey: API_KEY, maxRetryDelayMs: 1000 })
    congested = true
    await expect.poll(async () => (await refusal(client.create({ phoneNumber: '09011110006' }))).code).toBe('CONGESTED')
    const error = await refusal(client.get('vf_x'))
    expect({ code: error.code, retryAfterSeconds: error.retryAfterSeconds }).toEqual({ code: 'CONGESTED', retryAfterSeconds: 10 })
  })
})

describe('callverify/client — R11, R12 and R3', () => {
  it('LOCKED: reasonCode B84 and lockedUntil, the next 00:00 Japan time', async () => {
    const s = await service({ LOCK_AFTER_FAILURES: '1' })
    const cv = new Callverify({ baseUrl: s.url, apiKey: API_KEY })
    await cv.cancel((await cv.create({ phoneNumber: '09011110007' })).id)
    const error = await expectCode(cv.create({ phoneNumber: '09011110007' }), 'LOCKED', 423)
    expect(error.reasonCode).toBe('B84')
    expect(new Date(error.lockedUntil!).toISOString()).toMatch(/T15:00:00\.000Z$/)
    expect(error.messageJa).toContain('理由コードはB84です')
  })

  it('OUT_OF_SERVICE_HOURS: the seed calendar at 00:00:30 Japan time, with reason and retryAfterSeconds', async () => {
    const s = await service({}, { calendar: SEED_CALENDAR, clock: () => Date.parse('2025-06-04T15:00:30Z') })
    const error = await expectCode(new Callverify({ baseUrl: s.url, apiKey: API_KEY }).create({ phoneNumber: '09011110008' }), 'OUT_OF_SERVICE_HOURS', 503)
    expect(error.body.reason).toBe('DAILY_MIDNIGHT')
    expect(error.retryAfterSeconds).toBe(30)
  })

  it('MAINTENANCE on confirm is waited out (503 with a short Retry-After); create is refused at once', async () => {
    const s = await service()
    const cv = new Callverify({ baseUrl: s.url, apiKey: API_KEY })
    const v = await cv.create({ phoneNumber: '09011110009' })
    await signedCall(s, '+819011110009', v.verificationNumber.e164)
    await cv.waitFor(v.id, { until: 'verified', timeoutMs: 5000 })
    const res = await fetch(`${s.url}/admin/maintenance`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ startsAt: new Date(Date.now() - 1000).toISOString(), endsAt: new Date(Date.now() + 1500).toISOString() }),
    })
    expect(res.status).toBe(201)
    const error = await expectCode(cv.create({ phoneNumber: '09011110010' }), 'MAINTENANCE', 503)
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1)
    const started = Date.now()
    expect((await cv.confirm(v.id)).status).toBe('confirmed')
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
  })

  it('VERIFICATION_EXPIRED: confirm after the window (WINDOW_SECONDS=1)', async () => {
    const s = await service({ WINDOW_SECONDS: '1' })
    const cv = new Callverify({ baseUrl: s.url, apiKey: API_KEY })
    const v = await cv.create({ phoneNumber: '09011110011' })
    expect((await cv.waitFor(v.id, { until: 'expired', timeoutMs: 5000 })).status).toBe('expired')
    await expectCode(cv.confirm(v.id), 'VERIFICATION_EXPIRED', 410)
    await expectCode(cv.cancel(v.id), 'VERIFICATION_EXPIRED', 410)
  })
})

describe('callverify/client — retries against a flaky listener', () => {
  let flaky: Origin
  const seen: string[] = []
  type Step = 'drop' | { status: number; body: string; headers?: Record<string, string> }
  let plan: ((url: string) => Step)[] = []
  beforeAll(async () => {
    flaky = await startOrigin((req, res) => {
      seen.push(`${req.method} ${req.url}`)
      const step: Step = (plan.shift() ?? (() => ({ status: 200, body: '{"id":"vf_1","status":"pending"}' })))(req.url ?? '')
      if (step === 'drop') return void req.socket.destroy()
      res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers }).end(step.body)
    })
  })
  afterAll(async () => { await flaky?.close() })

  it('GET — retried after a dropped connection and after a 503 with Retry-After', async () => {
    seen.length = 0
    plan = [() => 'drop', () => ({ status: 503, body: '{"error":{"code":"STORE_UNAVAILABLE","message":"m","messageJa":"j"}}', headers: { 'retry-after': '1' } })]
    expect((await new Callverify({ baseUrl: flaky.url, apiKey: API_KEY }).get('vf_1')).status).toBe('pending')
    expect(seen).toEqual(['GET /v1/verifications/vf_1', 'GET /v1/verifications/vf_1', 'GET /v1/verifications/vf_1'])
  })

  it('confirm — not retried after a dropped connection (it may have been applied); create — not after a 503', async () => {
    seen.length = 0
    plan = [() => 'drop']
    await expect(new Callverify({ baseUrl: flaky.url, apiKey: API_KEY }).confirm('vf_1')).rejects.toThrow()
    plan = [() => ({ status: 503, body: '{"error":{"code":"CONGESTED","message":"m","messageJa":"j"}}', headers: { 'retry-after': '1' } })]
    await expectCode(new Callverify({ baseUrl: flaky.url, apiKey: API_KEY }).create({ phoneNumber: '09012345678' }), 'CONGESTED', 503)
    expect(seen).toEqual(['POST /v1/verifications/vf_1/confirm', 'POST /v1/verifications'])
  })

  it('waitFor — a stream the service refuses (429) is replaced by long-polls', async () => {
    seen.length = 0
    plan = [
      () => ({ status: 429, body: '{"error":{"code":"TOO_MANY_REQUESTS","message":"m","messageJa":"j"}}', headers: { 'retry-after': '5' } }),
      () => ({ status: 200, body: '{"id":"vf_1","status":"pending"}' }),
      () => ({ status: 200, body: '{"id":"vf_1","status":"verified"}' }),
    ]
    expect((await new Callverify({ baseUrl: flaky.url, apiKey: API_KEY }).waitFor('vf_1', { timeoutMs: 5000 })).status).toBe('verified')
    expect(seen).toEqual(['GET /v1/verifications/vf_1/events', 'GET /v1/verifications/vf_1', 'GET /v1/verifications/vf_1?waitSeconds=5'])
  })

  it('an answer without the contract body (a proxy page) is INTERNAL_ERROR with its status', async () => {
    plan = [() => ({ status: 502, body: '<html>Bad gateway</html>' })]
    const error = await expectCode(new Callverify({ baseUrl: flaky.url, apiKey: API_KEY }).confirm('vf_1'), 'INTERNAL_ERROR', 502)
    expect(error.message).toContain('502')
  })
})
