import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { loadFixture } from '../../src/carriers/twilio/fixtures.js'
import { signTwilioRequest } from '../../src/carriers/twilio/signature.js'
import { ADMIN_TOKEN, API_KEY, STORE_KINDS, bearer, buildTestApp, type TestApp } from '../support/app.js'
import { waitUntil } from '../jobs/support/receiver.js'

// R13: an overloaded instance answers /v1 with 503 CONGESTED and the seed's message; the
// carrier's webhooks and the ops routes go on as usual.

const BUSY_JA = 'ただ今受付が混雑しておりますので、しばらくしてからご利用下さい。'
/** Tuesday 2026-03-10 12:00 Japan time: the service-hours gate stays open whatever the real time. */
const NOON = Date.parse('2026-03-10T03:00:00Z')

/** Whether /v1 is refused as congested now (the sampler lives in the /v1 scope, app.ts). */
const congested = async (t: TestApp) => (await t.app.inject({ url: '/v1/service-status' })).statusCode === 503

function postWebhook(t: TestApp, path: string) {
  const params = { ...(loadFixture('voice-matched').params as Record<string, string>), CallSid: `CA${randomBytes(16).toString('hex')}` }
  return t.app.inject({
    method: 'POST', url: path, payload: new URLSearchParams(params).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilioRequest(t.config.twilio.authToken, t.config.publicBaseUrl + path, params) },
  })
}

for (const kind of STORE_KINDS) {
  describe(`congestion (R13) on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    it('v1 — 503 CONGESTED with Retry-After while overloaded; webhooks, ops and admin routes still answer', async () => {
      let overloaded = false
      t = await buildTestApp(kind, {
        env: { RING_DELAY_MS: '0' },
        ...(kind === 'memory' ? { startAt: NOON } : {}),
        deps: { congested: () => overloaded, ...(kind === 'redis' ? { clock: () => NOON } : {}) },
      })
      const create = () => t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09012345678' } })
      expect((await create()).statusCode).toBe(201)

      overloaded = true
      await waitUntil(() => congested(t), 3000, 'under pressure')
      for (const res of [await create(), await t.app.inject({ url: '/v1/service-status' })]) {
        expect(res.statusCode).toBe(503)
        expect(res.json()).toEqual({ error: { code: 'CONGESTED', message: expect.any(String), messageJa: BUSY_JA } })
        expect(res.headers['retry-after']).toBe('10')
      }
      for (const path of ['/webhooks/twilio/voice', '/webhooks/twilio/fallback']) {
        const res = await postWebhook(t, path)
        expect(res.statusCode, path).toBe(200)
        expect(res.headers['content-type']).toMatch(/^text\/xml/)
        expect(res.body).toContain('<Reject')
      }
      expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200)
      expect((await t.app.inject({ url: '/metrics', headers: bearer(ADMIN_TOKEN) })).statusCode).toBe(200)
      expect((await t.app.inject({ url: '/admin/maintenance', headers: bearer(ADMIN_TOKEN) })).statusCode).toBe(200)

      overloaded = false
      await waitUntil(async () => !(await congested(t)), 3000, 'pressure lifted')
      expect((await create()).statusCode).toBe(201)
    })
  })
}

describe('congestion (R13) from a blocked event loop', () => {
  let t: TestApp
  afterEach(async () => t?.close())

  it('v1 — a loop lagging past MAX_EVENT_LOOP_DELAY_MS answers CONGESTED until a calm sample', async () => {
    let elapsed = 0
    t = await buildTestApp('memory', { env: { MAX_EVENT_LOOP_DELAY_MS: '200' }, startAt: NOON, deps: { monotonic: () => elapsed } })
    elapsed += 2000 // start-up samples are ignored for two seconds
    // Sustained lag: every turn of the loop takes 300 ms, as under a flood of work.
    let lagging = true
    const spin = () => {
      const end = Date.now() + 300
      while (Date.now() < end) { /* busy */ }
      if (lagging) setTimeout(spin, 0)
    }
    spin()
    await waitUntil(() => congested(t), 5000, 'congested by the lagging loop').finally(() => { lagging = false })
    const res = await t.app.inject({ url: '/v1/service-status' })
    expect(res.statusCode).toBe(503)
    expect(res.json().error.code).toBe('CONGESTED')
    await waitUntil(async () => !(await congested(t)), 3000, 'pressure lifted')
    expect((await t.app.inject({ url: '/v1/service-status' })).statusCode).toBe(200)
  })
})
