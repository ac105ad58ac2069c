import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixtureBody, listCarrierFixtures, loadCarrierFixture, type WebhookFixture } from '../../src/carriers/fixtures.js'
import { signerFor } from '../../src/carriers/sign.js'
import { API_KEY, bearer, buildTestApp, STORE_KINDS, type TestApp } from '../support/app.js'

// The golden reports under webhooks/sip/ (what sip/kamailio.cfg posts for each kind of INVITE),
// replayed signed on both stores. The shared carrier contract suite (test/carriers/contract.ts)
// requires status and fallback endpoints, which a SIP edge has not (it never hands a call over,
// so there is no hang-up callback and no fallback URL): the SIP adapter is tested here instead.

const fixtures = listCarrierFixtures('sip').map((name) => loadCarrierFixture('sip', name))

async function calls(t: TestApp): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const { labels, value } of (await t.app.metrics.calls.get()).values) if (labels.carrier === 'sip') counts[String(labels.kind)] = value
  return counts
}

async function send(t: TestApp, f: WebhookFixture) {
  const { body, contentType } = fixtureBody(f)
  const headers = signerFor('sip', t.config)({ method: 'POST', url: t.config.publicBaseUrl + f.path, body, contentType }, Date.now())
  return t.app.inject({ method: 'POST', url: f.path, payload: body, headers: { 'content-type': contentType, ...headers } })
}

describe('webhooks/sip fixtures', () => {
  it('cover every kind of report the edge sends', () => {
    const outcomes = new Set(fixtures.map((f) => f.expect.outcome))
    for (const outcome of ['verified', 'duplicate', 'unmatched', 'unknown-number', 'withheld', 'malformed']) expect(outcomes).toContain(outcome)
  })
})

for (const kind of STORE_KINDS) {
  describe(`webhooks/sip fixtures on the ${kind} store`, () => {
    // One app for all fixtures: each names its own caller and Call-ID, so none sees another's state.
    let t: TestApp
    beforeAll(async () => {
      t = await buildTestApp(kind, { env: { POOL_NUMBERS: '+81120000001@sip', RING_DELAY_MS: '10000' } })
    })
    afterAll(async () => t?.close())

    it.each(fixtures.map((f) => [f.name, f] as const))('%s — answered at once as the fixture says, with its outcome', async (_, f) => {
      const ids: string[] = []
      for (const p of f.given?.pending ?? []) {
        const created = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: p.phoneNumber } })
        expect(created.json().verificationNumber.e164).toBe(p.verificationNumber)
        ids.push(created.json().id)
      }
      for (const name of f.given?.before ?? []) expect((await send(t, loadCarrierFixture('sip', name))).statusCode).toBe(204)
      const before = await calls(t)
      const started = performance.now()
      const response = await send(t, f)
      // The edge rings; the service never holds a SIP report for the 10 s ring.
      expect(performance.now() - started).toBeLessThan(5000)
      expect(response.statusCode).toBe(f.expect.status)
      expect(response.body).toBe(f.expect.body)
      const after = await calls(t)
      expect((after[f.expect.outcome] ?? 0) - (before[f.expect.outcome] ?? 0)).toBe(1)
      if (f.expect.outcome === 'verified') {
        const read = await t.app.inject({ url: `/v1/verifications/${ids[0]}`, headers: bearer(API_KEY) })
        expect(read.json()).toMatchObject({ status: 'verified', calls: 1 })
      }
    })
  })
}
