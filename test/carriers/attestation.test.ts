import { generateKeyPairSync } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { fixtureBody, loadCarrierFixture } from '../../src/carriers/fixtures.js'
import { signTelnyx } from '../../src/carriers/telnyx/sign.js'
import { attestationFromLevel, attestationFromVerstat, attestationSatisfies, tenantsRefusing } from '../../src/domain/carrier.js'
import { STORE_KINDS, type TestApp } from '../support/app.js'
import { buildWebhookApp, getVerification, openVerification } from '../support/twilio.js'

// Caller-ID trust (issue "Carriers"): a carrier's SHAKEN/STIR attestation is recorded on the
// verification, and TENANT_POLICY may refuse to verify on it. Absent is unknown, never failed.

describe('attestation — domain', () => {
  it('verstat and level/validated forms normalise; anything else is unknown', () => {
    expect(attestationFromVerstat('TN-Validation-Passed-A')).toEqual({ result: 'passed', level: 'A' })
    expect(attestationFromVerstat('TN-Validation-Failed-C')).toEqual({ result: 'failed', level: 'C' })
    expect(attestationFromVerstat('TN-Validation-Passed')).toEqual({ result: 'passed' })
    for (const none of ['No-TN-Validation', '', undefined, 'garbage']) expect(attestationFromVerstat(none)).toBeUndefined()
    expect(attestationFromLevel('B', 'true')).toEqual({ result: 'passed', level: 'B' })
    expect(attestationFromLevel('A', false)).toEqual({ result: 'failed', level: 'A' })
    expect(attestationFromLevel('A', undefined)).toBeUndefined()
  })

  it('requirements — any verifies all; not-failed refuses only a failed one; passed refuses unknown too', () => {
    const passed = { result: 'passed' as const }
    const failed = { result: 'failed' as const }
    expect([undefined, passed, failed].map((a) => attestationSatisfies('any', a))).toEqual([true, true, true])
    expect([undefined, passed, failed].map((a) => attestationSatisfies('not-failed', a))).toEqual([true, true, false])
    expect([undefined, passed, failed].map((a) => attestationSatisfies('passed', a))).toEqual([false, true, false])
    const policies = new Map([['strict', 'passed' as const], ['careful', 'not-failed' as const]])
    expect(tenantsRefusing(policies, undefined)).toEqual(['strict'])
    expect(tenantsRefusing(policies, failed).sort()).toEqual(['careful', 'strict'])
  })
})

const { publicKey, privateKey } = generateKeyPairSync('ed25519')
const x = publicKey.export({ format: 'jwk' }).x!
const sign = signTelnyx(privateKey.export({ format: 'jwk' }).d!, x)

for (const kind of STORE_KINDS) {
  describe(`attestation through the telnyx webhook on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    async function call(policy: string, fixture: string) {
      t = await buildWebhookApp(kind, { POOL_NUMBERS: '+81120000001@telnyx', TELNYX_PUBLIC_KEY: Buffer.from(x, 'base64url').toString('base64'), TENANT_POLICY: policy, RING_DELAY_MS: '50' })
      const id = await openVerification(t, '09012345678', '+81120000001')
      const f = loadCarrierFixture('telnyx', fixture)
      const { body, contentType } = fixtureBody(f)
      const headers = sign({ method: 'POST', url: t.config.publicBaseUrl + f.path, body, contentType }, t.app.clock())
      const res = await t.app.inject({ method: 'POST', url: f.path, headers: { 'content-type': contentType, ...headers }, payload: body })
      expect(res.body).toBe(f.expect.body)
      return getVerification(t, id) as Promise<{ status: string; callerAttestation?: unknown }>
    }

    it('a passed attestation is shown on GET; a failed one too, when the tenant does not mind', async () => {
      expect(await call('', 'voice-matched-attested')).toMatchObject({ status: 'verified', callerAttestation: { result: 'passed', level: 'A' } })
      await t.close()
      expect(await call('', 'voice-matched-failed-attestation')).toMatchObject({ status: 'verified', callerAttestation: { result: 'failed', level: 'C' } })
    })

    it('TENANT_POLICY not-failed — a failed validation verifies nothing (attestation-refused), the same answer; unknown still verifies', async () => {
      expect(await call('demo:attestation=not-failed', 'voice-matched-failed-attestation')).toMatchObject({ status: 'pending' })
      const refused = (await t.app.metrics.calls.get()).values.find((v) => v.labels.kind === 'attestation-refused')
      expect(refused?.value).toBe(1)
      await t.close()
      const unknown = await call('demo:attestation=not-failed', 'voice-matched')
      expect(unknown.status).toBe('verified')
      expect(unknown.callerAttestation).toBeUndefined()
    })

    it('TENANT_POLICY passed — unknown is refused too; another tenant\'s policy does not apply', async () => {
      expect(await call('demo:attestation=passed', 'voice-matched')).toMatchObject({ status: 'pending' })
      await t.close()
      expect(await call('other:attestation=passed', 'voice-matched')).toMatchObject({ status: 'verified' })
    })
  })
}
