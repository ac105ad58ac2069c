import { afterEach, describe, expect, it } from 'vitest'
import { loadFixture } from '../../src/carriers/twilio/fixtures.js'
import { newCallSid, simulatedParams } from '../../src/carriers/twilio/simulate.js'
import { ADMIN_TOKEN, API_KEY, STORE_KINDS, bearer, type TestApp } from '../support/app.js'
import { buildWebhookApp, postSigned } from '../support/twilio.js'

// /metrics after whole flows: outcomes counted once each where the change happened (at the
// store boundary, store/timed.ts), store latency by operation, and no customer number in any
// format anywhere in the scrape (CONTRACT: "no metric label").

const PHONE = '09012345678'
const FORMS = ['09012345678', '+819012345678', '819012345678', '9012345678', '090-1234-5678', '12345678']

/** One sample's value, e.g. value(text, 'callverify_verifications_total{outcome="confirmed"}'). */
function value(text: string, sample: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `))
  return line ? Number(line.slice(sample.length + 1)) : 0
}

for (const kind of STORE_KINDS) {
  describe(`/metrics on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    const create = async (phoneNumber = PHONE) =>
      (await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber } })).json()
    async function dial(from: string, to: string) {
      const fixture = loadFixture('voice-matched')
      return (await postSigned(t, fixture.path, simulatedParams(fixture, { from, to }, newCallSid()))).res
    }

    it('metrics — a whole flow feeds outcomes once each, store latency, allocations, and leaks no customer number', async () => {
      t = await buildWebhookApp(kind, { RING_DELAY_MS: '0', WINDOW_SECONDS: '1' })
      const v = await create()
      expect((await dial(PHONE, v.verificationNumber.e164)).statusCode).toBe(200)
      await t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/confirm`, headers: bearer(API_KEY) })
      const superseded = await create('08011112222')
      const cancelled = await create('08011112222')
      await t.app.inject({ method: 'POST', url: `/v1/verifications/${cancelled.id}/cancel`, headers: bearer(API_KEY) })
      const expiring = await create('07033334444')
      if (kind === 'memory') t.clock.advance(1500)
      else await new Promise((r) => setTimeout(r, 1200))
      // Read twice after the window: the expiry is counted where it happens, once.
      for (let i = 0; i < 2; i++) await t.app.inject({ url: `/v1/verifications/${expiring.id}`, headers: bearer(API_KEY) })
      await t.app.inject({ url: `/admin/locks/${PHONE}?tenant=demo`, headers: bearer(ADMIN_TOKEN) })
      await t.app.inject({ url: `/v1/verifications/${superseded.id}`, headers: bearer(API_KEY) })

      const text = (await t.app.inject({ url: '/metrics', headers: bearer(ADMIN_TOKEN) })).body
      expect(value(text, 'callverify_verifications_total{outcome="verified"}')).toBe(1)
      expect(value(text, 'callverify_verifications_total{outcome="expired"}')).toBe(1)
      expect(value(text, 'callverify_verifications_total{outcome="confirmed"}')).toBe(1)
      expect(value(text, 'callverify_verifications_total{outcome="cancelled"}')).toBe(2) // superseded + cancelled
      expect(value(text, 'callverify_verifications_total{outcome="created"}')).toBe(4)
      expect(text).toMatch(/callverify_store_seconds_count\{operation="createVerification"\} 4/)
      expect(text).toMatch(/callverify_store_seconds_bucket\{le="[^"]+",operation="recordCall"\}/)
      expect(text).toContain(`callverify_allocations_total{number="${v.verificationNumber.e164}"}`)
      for (const form of FORMS) expect(text, form).not.toContain(form)
      for (const form of ['08011112222', '+818011112222', '07033334444', '+817033334444']) expect(text, form).not.toContain(form)
    })

    it('metrics — an expiry made by a refused confirm is counted though the confirm failed', async () => {
      // No sweep during the case (its first run is at start): the confirm is what expires it.
      t = await buildWebhookApp(kind, { WINDOW_SECONDS: '1', EXPIRY_SWEEP_MS: '60000' })
      const v = await create()
      if (kind === 'memory') t.clock.advance(1500)
      else await new Promise((r) => setTimeout(r, 1200))
      const res = await t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/confirm`, headers: bearer(API_KEY) })
      expect(res.json().error.code).toBe('VERIFICATION_EXPIRED')
      await t.app.inject({ url: `/v1/verifications/${v.id}`, headers: bearer(API_KEY) })
      const text = (await t.app.inject({ url: '/metrics', headers: bearer(ADMIN_TOKEN) })).body
      expect(value(text, 'callverify_verifications_total{outcome="expired"}')).toBe(1)
      expect(text).toContain('callverify_store_seconds_count{operation="confirmVerification"} 1')
    })
  })
}
