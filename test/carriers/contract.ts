import type { LightMyRequestResponse } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { fixtureBody, listCarrierFixtures, loadCarrierFixture, type WebhookFixture } from '../../src/carriers/fixtures.js'
import type { Signer } from '../../src/carriers/sign.js'
import type { Config } from '../../src/config.js'
import { STORE_KINDS, type TestApp } from '../support/app.js'
import { buildWebhookApp, getVerification, openVerification } from '../support/twilio.js'

// The one carrier contract suite: the same cases, unchanged, for every
// adapter on both stores, fed by the adapter's fixtures under webhooks/<carrier>/ and its signer.
// A new carrier is one adapter, its fixtures and a CarrierKit; nothing here names a carrier.

export interface CarrierKit {
  carrier: string
  /** Credentials that turn the carrier on (test values). */
  env: Record<string, string>
  /** The same variables emptied: the carrier is off. */
  offEnv: Record<string, string>
  /** Signs as the carrier would, with the app's credentials. */
  signer(config: Config): Signer
  /** Signs with someone else's credential (a wrong token, another key). */
  foreignSigner(config: Config): Signer
  /**
   * The credential covers any body (Telnyx signs the raw bytes, Bandwidth's is a header), so a
   * body of the wrong type is still known to be the carrier's; a form signature (Twilio, Plivo)
   * cannot cover a body that is not a form, so that request is unauthenticated: 403.
   */
  credentialCoversAnyBody: boolean
}

// "At once" is "not held for the ring": well below RING_MS even on a loaded machine (two cores, seven engineers).
const RING_MS = 1500
const POOL = '+81120000001'
/** Fixture names every carrier has (src/carriers/core.ts, "How a carrier plugs in"). */
export const REQUIRED_FIXTURES = [
  'voice-matched', 'voice-retry', 'voice-wrong-caller', 'voice-unknown-to', 'voice-malformed', 'status-busy', 'status-completed-answered', 'fallback',
]

interface Sent { res: LightMyRequestResponse; ms: number }

export function carrierContract(kit: CarrierKit): void {
  const fixtures = listCarrierFixtures(kit.carrier).map((name) => loadCarrierFixture(kit.carrier, name))
  const fixture = (name: string): WebhookFixture => loadCarrierFixture(kit.carrier, name)

  describe(`${kit.carrier} fixtures`, () => {
    it('fixtures — every required case is there, with at least one withheld form', () => {
      const names = fixtures.map((f) => f.name)
      for (const name of REQUIRED_FIXTURES) expect(names).toContain(name)
      expect(names.some((n) => n.startsWith('voice-withheld-'))).toBe(true)
      expect(fixture('voice-retry').given?.before).toEqual(['voice-matched'])
    })
  })

  for (const kind of STORE_KINDS) {
    describe(`${kit.carrier} carrier contract on the ${kind} store`, () => {
      let t: TestApp
      afterEach(async () => t?.close())

      const build = async (env: Record<string, string> = {}): Promise<TestApp> =>
        (t = await buildWebhookApp(kind, { RING_DELAY_MS: String(RING_MS), POOL_NUMBERS: `${POOL}@${kit.carrier}`, ...kit.env, ...env }))

      async function send(f: Pick<WebhookFixture, 'path' | 'params' | 'json'>, options: { signer?: Signer | null; method?: 'POST' | 'GET'; body?: string; contentType?: string } = {}): Promise<Sent> {
        const encoded = fixtureBody(f)
        const method = options.method ?? 'POST'
        const body = method === 'GET' ? '' : options.body ?? encoded.body
        const contentType = options.contentType ?? encoded.contentType
        const signer = options.signer === undefined ? kit.signer(t.config) : options.signer
        const headers = signer ? signer({ method, url: t.config.publicBaseUrl + f.path, body, contentType }, t.app.clock()) : {}
        const started = performance.now()
        const res = await t.app.inject({ method, url: f.path, headers: { ...(method === 'POST' ? { 'content-type': contentType } : {}), ...headers }, ...(method === 'POST' ? { payload: body } : {}) })
        return { res, ms: performance.now() - started }
      }

      async function given(f: WebhookFixture): Promise<string[]> {
        const ids: string[] = []
        for (const p of f.given?.pending ?? []) ids.push(await openVerification(t, p.phoneNumber, p.verificationNumber))
        for (const name of f.given?.before ?? []) expect((await send(fixture(name))).res.statusCode).toBeLessThan(300)
        return ids
      }

      const calls = async (k: string): Promise<number> =>
        (await t.app.metrics.calls.get()).values.filter((v) => v.labels.kind === k && v.labels.carrier === kit.carrier).reduce((a, v) => a + v.value, 0)
      const refused = async (): Promise<number> =>
        (await t.app.metrics.rejectedSignatures.get()).values.find((v) => v.labels.carrier === kit.carrier)?.value ?? 0

      for (const f of fixtures) {
        it(`${f.name} — ${f.description}`, async () => {
          await build()
          const ids = await given(f)
          const before = await calls(f.expect.outcome)
          const { res, ms } = await send(f)
          expect(res.statusCode).toBe(f.expect.status)
          expect(res.headers['content-type'] ?? null).toBe(f.expect.contentType)
          expect(res.body).toBe(f.expect.body)
          if (f.expect.delayed) expect(ms).toBeGreaterThanOrEqual(RING_MS - 20)
          else expect(ms).toBeLessThan(RING_MS - 200)
          const number = await t.store.getNumber(POOL)
          if (f.expect.outcome === 'recorded') expect(Object.values(number!.outcomesToday).reduce((a, b) => a + b, 0)).toBe(1)
          else expect(await calls(f.expect.outcome)).toBe(before + 1)
          if (f.expect.outcome === 'answered') expect(number).toMatchObject({ state: 'quarantined', health: 'answered' })
          const status = ids[0] ? (await getVerification(t, ids[0])) as { status: string; calls: number; callerAttestation?: unknown } : undefined
          if (f.expect.outcome === 'verified' || f.expect.outcome === 'duplicate') expect(status).toMatchObject({ status: 'verified', calls: 1 })
          else if (status) expect(status).toMatchObject({ status: 'pending', calls: 0 })
          if (f.name.endsWith('-attested')) expect(status?.callerAttestation).toMatchObject({ result: 'passed' })
          else if (status) expect(status.callerAttestation === undefined || f.name.includes('attestation')).toBe(true)
        })
      }

      it('voice — a wrong or missing credential answers 403 INVALID_SIGNATURE, counted, changing nothing', async () => {
        await build()
        const f = fixture('voice-matched')
        const [id] = await given(f)
        for (const signer of [kit.foreignSigner(t.config), null]) {
          const { res } = await send(f, { signer })
          expect(res.statusCode).toBe(403)
          expect(res.json().error).toMatchObject({ code: 'INVALID_SIGNATURE' })
        }
        expect(await refused()).toBe(2)
        expect(await getVerification(t, id!)).toMatchObject({ status: 'pending', calls: 0 })
        expect((await t.store.getNumber(POOL))?.callsToday).toBe(0)
      })

      it('status — an unauthenticated "answered" callback quarantines nothing', async () => {
        await build()
        const { res } = await send(fixture('status-completed-answered'), { signer: kit.foreignSigner(t.config) })
        expect(res.statusCode).toBe(403)
        expect(await t.store.getNumber(POOL)).toMatchObject({ state: 'active', health: 'ok' })
      })

      it('voice — a call through this carrier to a number of another carrier verifies nothing (wrong-carrier), same answer, same ring', async () => {
        const other = kit.carrier === 'twilio' ? 'telnyx' : 'twilio'
        await build({ POOL_NUMBERS: `${POOL}@${other}` })
        const f = fixture('voice-matched')
        const [id] = await given(f)
        const { res, ms } = await send(f)
        expect(res.statusCode).toBe(200)
        expect(res.body).toBe(f.expect.body)
        expect(ms).toBeGreaterThanOrEqual(RING_MS - 20)
        expect(await calls('wrong-carrier')).toBe(1)
        expect(await getVerification(t, id!)).toMatchObject({ status: 'pending', calls: 0 })
        // Nor can its status callback quarantine the other carrier's number.
        expect((await send(fixture('status-completed-answered'))).res.statusCode).toBe(204)
        expect(await t.store.getNumber(POOL)).toMatchObject({ state: 'active', health: 'ok' })
      })

      it('voice — an authenticated GET, or a body of the wrong type, is rejected at once and records nothing; unauthenticated it is 403', async () => {
        await build()
        const f = fixture('voice-matched')
        const [id] = await given(f)
        const wrongType = f.json ? { body: 'callId=c-1&from=%2B819012345678', contentType: 'application/x-www-form-urlencoded' } : { body: JSON.stringify(f.params), contentType: 'application/json' }
        const attempts = kit.credentialCoversAnyBody ? [{ method: 'GET' as const }, wrongType] : [{ method: 'GET' as const }]
        for (const attempt of attempts) {
          const signed = await send(f, attempt)
          expect(signed.res.statusCode, JSON.stringify(attempt)).toBe(200)
          expect(signed.res.body).toBe(f.expect.body)
          expect(signed.ms).toBeLessThan(RING_MS - 200)
          expect((await send(f, { ...attempt, signer: null })).res.statusCode).toBe(403)
        }
        if (!kit.credentialCoversAnyBody) expect((await send(f, wrongType)).res.statusCode).toBe(403)
        expect(await calls('malformed')).toBe(attempts.length)
        expect(await getVerification(t, id!)).toMatchObject({ status: 'pending', calls: 0 })
      })

      it('voice — an oversized body is never a 5xx nor an answered call: the reject if the credential is in the headers, else 403', async () => {
        await build()
        const f = fixture('voice-matched')
        const [id] = await given(f)
        const { res } = await send(f, { body: `${fixtureBody(f).body}${f.json ? '' : '&'}${'x'.repeat(70 * 1024)}` })
        expect([200, 403]).toContain(res.statusCode)
        if (res.statusCode === 200) expect(res.body).toBe(f.expect.body)
        else expect(res.json().error).toMatchObject({ code: 'INVALID_SIGNATURE' })
        expect(await getVerification(t, id!)).toMatchObject({ status: 'pending', calls: 0 })
      })

      it('carrier off — with its credentials unset every endpoint is 404', async () => {
        await build(kit.offEnv)
        for (const f of [fixture('voice-matched'), fixture('status-busy'), fixture('fallback')]) {
          const { res } = await send(f)
          expect(res.statusCode).toBe(404)
        }
      })
    })
  }
}
