import { describe, expect, it } from 'vitest'
import { RestClient } from '@signalwire/compatibility-api'
import { loadConfig } from '../../../src/config.js'
import { createSignalWireAdapter } from '../../../src/carriers/signalwire/adapter.js'
import { encodeForm, type FormParams } from '../../../src/carriers/form.js'
import { loadCarrierFixture } from '../../../src/carriers/fixtures.js'
import { signTwilioForm } from '../../../src/carriers/twilio/sign.js'

// SignalWire's adapter checks X-SignalWire-Signature with twilio's validateRequest keyed by
// the signing key; this holds its verdict equal to @signalwire/compatibility-api's own
// validateRequest on every case, under both header names.

const KEY = 'PSK_7b8a9c0d1e2f3a4b5c6d7e8f'
const BASE = 'https://callverify.example.com'
const config = loadConfig({ SIGNALWIRE_SIGNING_KEY: KEY, PUBLIC_BASE_URL: BASE })
const adapter = createSignalWireAdapter(config)!
const matched = loadCarrierFixture('signalwire', 'voice-matched').params!

function ours(path: string, params: FormParams, headers: Record<string, string>): boolean {
  const body = encodeForm(params)
  return adapter.authenticate({
    method: 'POST', url: path, publicUrl: BASE + path, headers, rawBody: Buffer.from(body), contentType: 'application/x-www-form-urlencoded',
  }, Date.now())
}

function sdk(path: string, params: FormParams, signature: string): boolean {
  return RestClient.validateRequest(KEY, signature, BASE + path, params as Record<string, string>)
}

describe('signalwire signature — equal to @signalwire/compatibility-api validateRequest', () => {
  const cases: [string, FormParams][] = [
    ['/webhooks/signalwire/voice', matched],
    ['/webhooks/signalwire/voice?attempt=2', matched],
    ['/webhooks/signalwire/status', { ...matched, CallerName: '山田 太郎', CallStatus: 'busy' }],
  ]
  for (const [path, params] of cases) {
    it(`${path} — valid under either header, refused when anything changes`, () => {
      const { 'x-signalwire-signature': good } = signTwilioForm(KEY, 'x-signalwire-signature')({ method: 'POST', url: BASE + path, body: encodeForm(params), contentType: '' }, 0)
      expect([ours(path, params, { 'x-signalwire-signature': good! }), sdk(path, params, good!)]).toEqual([true, true])
      expect([ours(path, params, { 'x-twilio-signature': good! }), sdk(path, params, good!)]).toEqual([true, true])
      const tampered = { ...params, From: '+818011112222' }
      expect([ours(path, tampered, { 'x-signalwire-signature': good! }), sdk(path, tampered, good!)]).toEqual([false, false])
      const foreign = signTwilioForm('PSK_other', 'x')({ method: 'POST', url: BASE + path, body: encodeForm(params), contentType: '' }, 0).x!
      expect([ours(path, params, { 'x-signalwire-signature': foreign }), sdk(path, params, foreign)]).toEqual([false, false])
      expect([ours(`${path}${path.includes('?') ? '&' : '?'}z=1`, params, { 'x-signalwire-signature': good! }), sdk(`${path}${path.includes('?') ? '&' : '?'}z=1`, params, good!)]).toEqual([false, false])
    })
  }
})
