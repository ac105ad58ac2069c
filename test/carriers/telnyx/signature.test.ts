import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { TelnyxWebhook } from 'telnyx/lib/webhooks'
import { fixtureBody, loadCarrierFixture } from '../../../src/carriers/fixtures.js'
import { signTelnyx } from '../../../src/carriers/telnyx/sign.js'
import { telnyxPublicKey, verifyTelnyxSignature } from '../../../src/carriers/telnyx/signature.js'

// Our Ed25519 check (node:crypto, src/carriers/telnyx/signature.ts) against the telnyx SDK's
// own TelnyxWebhook.verify: the same verdict on every case. The SDK reads the wall clock, so
// both are given Date.now().

function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const x = publicKey.export({ format: 'jwk' }).x!
  return { base64: Buffer.from(x, 'base64url').toString('base64'), d: privateKey.export({ format: 'jwk' }).d!, x }
}

async function both(publicKey: string, body: string, headers: Record<string, string>): Promise<[boolean, boolean]> {
  const ours = verifyTelnyxSignature({
    key: telnyxPublicKey(publicKey)!, timestamp: headers['telnyx-timestamp'], signature: headers['telnyx-signature-ed25519'], rawBody: Buffer.from(body), now: Date.now(),
  })
  const sdk = await new TelnyxWebhook(publicKey).verify(body, headers).then(() => true, () => false)
  return [ours, sdk]
}

describe('telnyx Ed25519 signature — equal to the telnyx SDK TelnyxWebhook.verify', () => {
  const key = keyPair()
  const other = keyPair()
  const body = fixtureBody(loadCarrierFixture('telnyx', 'voice-matched')).body
  const sign = (b: string, at = Date.now(), k = key) => signTelnyx(k.d, k.x)({ method: 'POST', url: 'https://cv.example/webhooks/telnyx/voice', body: b, contentType: '' }, at)

  it('valid — the fixture body, and a JSON body with Japanese', async () => {
    expect(await both(key.base64, body, sign(body))).toEqual([true, true])
    const json = JSON.stringify({ data: { payload: { caller_id_name: '山田' } } })
    expect(await both(key.base64, json, sign(json))).toEqual([true, true])
  })

  it('refused by both — a changed body, another key, a changed timestamp, a garbled signature', async () => {
    const headers = sign(body)
    expect(await both(key.base64, `${body}&x=1`, headers)).toEqual([false, false])
    expect(await both(key.base64, body, sign(body, Date.now(), other))).toEqual([false, false])
    expect(await both(key.base64, body, { ...headers, 'telnyx-timestamp': String(Number(headers['telnyx-timestamp']) + 1) })).toEqual([false, false])
    expect(await both(key.base64, body, { ...headers, 'telnyx-signature-ed25519': 'AAAA' })).toEqual([false, false])
    expect(await both(key.base64, body, { 'telnyx-timestamp': headers['telnyx-timestamp']! })).toEqual([false, false])
  })

  it('freshness — 300 s of skew either way passes, 301 s is a replay for both', async () => {
    const now = Date.now()
    for (const [skew, ok] of [[-290_000, true], [290_000, true], [-302_000, false], [302_000, false]] as const) {
      expect(await both(key.base64, body, sign(body, now + skew)), String(skew)).toEqual([ok, ok])
    }
  })

  it('TELNYX_PUBLIC_KEY — only the base64 of 32 bytes is a key', () => {
    expect(telnyxPublicKey(key.base64)).not.toBeNull()
    for (const bad of ['', 'not base64!', Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64')]) expect(telnyxPublicKey(bad)).toBeNull()
  })
})
