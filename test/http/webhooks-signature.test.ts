import { createHmac } from 'node:crypto'
import type { FastifyServerOptions } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { loadFixture } from '../../src/carriers/twilio/fixtures.js'
import { signTwilioRequest, type TwilioParams } from '../../src/carriers/twilio/signature.js'
import { loggerOptions } from '../../src/logging.js'
import { STORE_KINDS, type TestApp } from '../support/app.js'
import { buildWebhookApp, callsOfKind, getVerification, openVerification, postSigned } from '../support/twilio.js'

// docs/contract.md "/webhooks/twilio": each POST checked against X-Twilio-Signature over
// PUBLIC_BASE_URL + path + query and the sorted form pairs; a bad one answers 403, changes nothing.

const PUBLIC = 'https://callverify.example.com'
const matched = loadFixture('voice-matched')
const answered = loadFixture('status-completed-answered')

/** Twilio docs, "Webhooks security": URL, then each key and value sorted by key; HMAC-SHA1, base64. */
function signByHand(token: string, url: string, form: Record<string, string>): string {
  const data = url + Object.keys(form).sort().map((key) => key + form[key]).join('')
  return createHmac('sha1', token).update(data, 'utf8').digest('base64')
}

async function rejectedSignatures(t: TestApp): Promise<number> {
  return (await t.app.metrics.rejectedSignatures.get()).values[0]?.value ?? 0
}

for (const kind of STORE_KINDS) {
  describe(`webhook signatures and logs on the ${kind} store`, () => {
    let t: TestApp
    const lines: string[] = []
    afterEach(async () => {
      lines.length = 0
      await t?.close()
    })

    async function build(): Promise<string> {
      const logger = { ...(loggerOptions('info') as object), stream: { write: (line: string) => void lines.push(line) } } as FastifyServerOptions['logger']
      t = await buildWebhookApp(kind, { RING_DELAY_MS: '0', PUBLIC_BASE_URL: PUBLIC, POOL_NUMBERS: '+81120000001' }, { deps: { logger } })
      return openVerification(t, '09012345678', '+81120000001')
    }

    it('voice — accepts a request signed by hand as Twilio signs it, and verifies', async () => {
      const id = await build()
      const params = matched.params as Record<string, string>
      const { res } = await postSigned(t, matched.path, params, { signature: signByHand(t.config.twilio.authToken, PUBLIC + matched.path, params) })
      expect(res.statusCode).toBe(200)
      expect(await getVerification(t, id)).toMatchObject({ status: 'verified', calls: 1 })
    })

    it('voice — refuses a tampered, missing or foreign-token signature with 403 INVALID_SIGNATURE, logged and counted, changing nothing', async () => {
      const id = await build()
      const params = matched.params as Record<string, string>
      const good = signByHand(t.config.twilio.authToken, PUBLIC + matched.path, params)
      const attempts: [TwilioParams, string | null][] = [
        [{ ...params, From: '+819012345678', CallSid: 'CA00000000000000000000000000000001' }, good], // replayed signature, new CallSid
        [{ ...params, Digits: '1' }, good],
        [params, null],
        [params, ''],
        [params, signByHand('someone-elses-token', PUBLIC + matched.path, params)],
      ]
      for (const [form, signature] of attempts) {
        const { res } = await postSigned(t, matched.path, form, { signature })
        expect(res.statusCode).toBe(403)
        expect(res.headers['content-type']).toMatch(/^application\/json/)
        expect(res.json().error).toMatchObject({ code: 'INVALID_SIGNATURE', message: expect.any(String), messageJa: expect.any(String) })
      }
      expect(await getVerification(t, id)).toMatchObject({ status: 'pending', calls: 0 })
      expect(await rejectedSignatures(t)).toBe(attempts.length)
      expect((await t.app.metrics.calls.get()).values).toEqual([])
      expect((await t.store.getNumber('+81120000001'))?.callsToday).toBe(0)
      const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.msg.includes('signature'))
      expect(warnings).toHaveLength(attempts.length)
      expect(warnings.every((w) => w.level === 40)).toBe(true)
      // No signature value and no phone number in any log line (R1, STYLE "secrets").
      const log = lines.join('\n')
      expect(log).not.toContain(good)
      expect(log).not.toMatch(/9012345678|819012345678/)
    })

    it('status and fallback — refuse an unsigned request too; an unsigned "answered" quarantines nothing', async () => {
      await build()
      for (const fixture of [answered, loadFixture('fallback')]) {
        const { res } = await postSigned(t, fixture.path, fixture.params, { signature: null })
        expect(res.statusCode, fixture.name).toBe(403)
        expect(res.json().error.code).toBe('INVALID_SIGNATURE')
      }
      expect(await t.store.getNumber('+81120000001')).toMatchObject({ state: 'active', health: 'ok' })
      expect(await rejectedSignatures(t)).toBe(2)
    })

    it('voice — Host and X-Forwarded-* change nothing: the URL signed is PUBLIC_BASE_URL + path + query', async () => {
      const id = await build()
      const spoofed = { host: 'attacker.example', 'x-forwarded-host': 'attacker.example', 'x-forwarded-proto': 'http', 'x-forwarded-for': '203.0.113.9' }
      // Signed for the URL the attacker's headers describe: refused.
      const forged = signTwilioRequest(t.config.twilio.authToken, `http://attacker.example${matched.path}`, matched.params)
      expect((await postSigned(t, matched.path, matched.params, { signature: forged, headers: spoofed })).res.statusCode).toBe(403)
      expect(await getVerification(t, id)).toMatchObject({ status: 'pending' })
      // Signed for PUBLIC_BASE_URL, whatever the headers say: accepted. The query is signed too.
      const url = `${matched.path}?via=proxy`
      expect((await postSigned(t, matched.path, matched.params, { url, headers: spoofed })).res.statusCode).toBe(200)
      expect(await getVerification(t, id)).toMatchObject({ status: 'verified' })
    })

    it('voice — a body that cannot be read (not a form) is a 403, not a 415 or a 500', async () => {
      await build()
      const signature = signTwilioRequest(t.config.twilio.authToken, PUBLIC + matched.path, {})
      for (const [type, payload] of [['application/xml', '<Call/>'], ['text/plain', 'From=+819012345678'], ['application/json', '{"From":{"a":1}}']]) {
        const res = await t.app.inject({ method: 'POST', url: matched.path, headers: { 'content-type': type!, 'x-twilio-signature': signature }, payload })
        expect(res.statusCode, type).toBe(403)
        expect(res.json().error.code).toBe('INVALID_SIGNATURE')
      }
      expect(await callsOfKind(t, 'malformed')).toBe(0)
    })

    it('logs — a call is logged with the caller masked; an answered call at error level with the pool number, never the caller', async () => {
      const id = await build()
      expect((await postSigned(t, matched.path, matched.params)).res.statusCode).toBe(200)
      expect(await getVerification(t, id)).toMatchObject({ status: 'verified' })
      expect((await postSigned(t, answered.path, answered.params)).res.statusCode).toBe(204)
      const entries = lines.map((l) => JSON.parse(l))
      expect(entries.find((e) => e.msg === 'voice call')).toMatchObject({ level: 30, outcome: 'verified', caller: '*******5678', to: '+81120000001' })
      expect(entries.find((e) => e.level === 50)).toMatchObject({ number: '+81120000001', durationSeconds: 4, state: 'quarantined' })
      expect(await callsOfKind(t, 'answered')).toBe(1)
      expect(lines.join('\n')).not.toMatch(/9012345678/)
    })
  })
}
