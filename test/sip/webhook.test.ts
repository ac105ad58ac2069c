import { afterEach, describe, expect, it } from 'vitest'
import { encodeForm } from '../../src/carriers/form.js'
import { signSipReport, SIP_SIGNATURE_HEADER } from '../../src/carriers/sip/signature.js'
import { API_KEY, bearer, buildTestApp, type TestApp } from '../support/app.js'

// POST /webhooks/sip/invite on the service: the edge's signed report, answered at once (the
// ring is the edge's), verified against SIP_SHARED_SECRET with a freshness window, deduplicated
// by Call-ID. Real app, memory store with a controllable clock (app.inject: no transport here).

const SECRET = 'webhook-test-sip-secret-0123456789abcdef'
const POOL = '+81120000001'

let service: TestApp | undefined
afterEach(async () => {
  await service?.close()
  service = undefined
})

async function start(env: Record<string, string> = {}): Promise<TestApp> {
  service = await buildTestApp('memory', { env: { SIP_SHARED_SECRET: SECRET, POOL_NUMBERS: `${POOL}@sip`, ...env } })
  return service
}

function body(callId: string, caller = '+819012345678', called = '0120000001', more: Record<string, string> = {}): string {
  return encodeForm({
    callId, requestUri: `sip:${called}@192.0.2.10;user=phone`, from: `<sip:${caller}@trunk.example;user=phone>;tag=9`,
    source: '127.0.0.1', transport: 'udp', ...more,
  })
}

function post(app: TestApp, payload: string, signature: string | undefined) {
  return app.app.inject({
    method: 'POST', url: '/webhooks/sip/invite', payload,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { [SIP_SIGNATURE_HEADER]: signature } : {}) },
  })
}

async function pending(app: TestApp, phoneNumber: string): Promise<string> {
  const created = await app.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber } })
  return created.json().id
}

const read = async (app: TestApp, id: string) => (await app.app.inject({ url: `/v1/verifications/${id}`, headers: bearer(API_KEY) })).json()

describe('POST /webhooks/sip/invite', () => {
  it('a signed report — 204 at once; the matched verification is verified', async () => {
    const app = await start({ RING_DELAY_MS: '10000' })
    const id = await pending(app, '09012345678')
    const payload = body('call-1@trunk')
    const started = performance.now()
    const response = await post(app, payload, signSipReport(SECRET, payload, app.clock.now))
    // Answered long before the 10 s ring: the edge rings, not the service.
    expect(performance.now() - started).toBeLessThan(5000)
    expect(response.statusCode).toBe(204)
    expect(await read(app, id)).toMatchObject({ status: 'verified', calls: 1 })
  })

  it('the same report again (a replay or a retry) — 204, changes nothing a second time', async () => {
    const app = await start()
    const id = await pending(app, '09012345678')
    const payload = body('call-2@trunk')
    const signature = signSipReport(SECRET, payload, app.clock.now)
    expect((await post(app, payload, signature)).statusCode).toBe(204)
    expect((await post(app, payload, signature)).statusCode).toBe(204)
    expect(await read(app, id)).toMatchObject({ status: 'verified', calls: 1 })
  })

  it.each([
    ['no signature', () => undefined],
    ['another key', (p: string, now: number) => signSipReport('not-the-secret', p, now)],
    ['a body changed after signing', (p: string, now: number) => signSipReport(SECRET, `${p}&x=1`, now)],
    ['a timestamp 301 s old', (p: string, now: number) => signSipReport(SECRET, p, now - 301_000)],
    ['a timestamp 301 s ahead', (p: string, now: number) => signSipReport(SECRET, p, now + 301_000)],
    ['a garbled header', () => 't=1,v1=abc'],
  ])('%s — 403 INVALID_SIGNATURE, nothing recorded', async (_, sign) => {
    const app = await start()
    const id = await pending(app, '09012345678')
    const payload = body('call-3@trunk')
    const response = await post(app, payload, sign(payload, app.clock.now))
    expect(response.statusCode).toBe(403)
    expect(response.json().error.code).toBe('INVALID_SIGNATURE')
    expect(await read(app, id)).toMatchObject({ status: 'pending', calls: 0 })
  })

  it('a timestamp 299 s old still verifies (the edge queues reports while the service is slow)', async () => {
    const app = await start()
    const payload = body('call-4@trunk')
    expect((await post(app, payload, signSipReport(SECRET, payload, app.clock.now - 299_000))).statusCode).toBe(204)
  })

  it('a number of another carrier — verifies nothing (one leaked secret cannot verify another carrier)', async () => {
    const app = await start({ POOL_NUMBERS: '+81120000002' })
    const id = await pending(app, '09012345678')
    expect((await read(app, id)).verificationNumber.e164).toBe('+81120000002')
    const payload = body('call-5@trunk', '+819012345678', '0120000002')
    expect((await post(app, payload, signSipReport(SECRET, payload, app.clock.now))).statusCode).toBe(204)
    expect(await read(app, id)).toMatchObject({ status: 'pending' })
  })

  it('verstat on the asserted identity — recorded as the call\'s attestation, and TENANT_POLICY holds to it', async () => {
    const app = await start({ TENANT_POLICY: 'demo:attestation=passed' })
    const signed = (payload: string) => post(app, payload, signSipReport(SECRET, payload, app.clock.now))
    const id = await pending(app, '09012345678')
    // No verstat: unknown, which a tenant requiring "passed" refuses.
    expect((await signed(body('att-1@trunk'))).statusCode).toBe(204)
    expect(await read(app, id)).toMatchObject({ status: 'pending' })
    const pai = { pAssertedIdentity: '<tel:+81-90-1234-5678;verstat=TN-Validation-Passed-A>' }
    expect((await signed(body('att-2@trunk', '+815011112222', '0120000001', pai))).statusCode).toBe(204)
    expect(await read(app, id)).toMatchObject({ status: 'verified', callerAttestation: { result: 'passed', level: 'A' } })
  })

  it('a signed body that is no INVITE report — 204, nothing recorded', async () => {
    const app = await start()
    const payload = encodeForm({ hello: 'world' })
    expect((await post(app, payload, signSipReport(SECRET, payload, app.clock.now))).statusCode).toBe(204)
  })

  it('SIP_SHARED_SECRET empty — the SIP carrier is off: 404', async () => {
    const app = await start({ SIP_SHARED_SECRET: '' })
    const payload = body('call-6@trunk')
    expect((await post(app, payload, signSipReport('', payload, app.clock.now))).statusCode).toBe(404)
  })
})
