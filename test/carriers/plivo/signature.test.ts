import { describe, expect, it } from 'vitest'
import { validateV3Signature } from 'plivo/dist/utils/v3Security.js'
import { encodeForm, type FormParams } from '../../../src/carriers/form.js'
import { signPlivo, verifyPlivoSignature } from '../../../src/carriers/plivo/signature.js'
import { loadCarrierFixture } from '../../../src/carriers/fixtures.js'

// Our V3 check (node:crypto, src/carriers/plivo/signature.ts) against the plivo SDK's own
// validateV3Signature: the same verdict on every case, valid and not.

const TOKEN = 'MjA4NzQ5ZTg0YmU1ZTZiNjk4YWRlMjc3ZDY1OTg4'
const matched = loadCarrierFixture('plivo', 'voice-matched').params!

const cases: { name: string; method: 'POST' | 'GET'; url: string; params: FormParams }[] = [
  { name: 'answer_url POST', method: 'POST', url: 'https://callverify.example.com/webhooks/plivo/voice', params: matched },
  { name: 'with a query string', method: 'POST', url: 'https://callverify.example.com:8443/webhooks/plivo/voice?b=2&a=1&a=0', params: matched },
  { name: 'repeated keys and Japanese', method: 'POST', url: 'https://cv.example.jp/base/webhooks/plivo/status', params: { ...matched, CallerName: '山田 太郎', X: ['b', 'a'] } },
  { name: 'no params', method: 'POST', url: 'https://cv.example.jp/webhooks/plivo/voice', params: {} },
  { name: 'GET with a query', method: 'GET', url: 'https://cv.example.jp/webhooks/plivo/voice?CallUUID=x&From=81', params: {} },
]

function both(method: string, url: string, params: FormParams, nonce: string, signature: string, tokens = [TOKEN]): [boolean, boolean] {
  const ours = verifyPlivoSignature({ authTokens: tokens, method, url, params, nonce, signature })
  const sdk = tokens.some((token) => validateV3Signature(method, url, nonce, token, signature, params))
  return [ours, sdk]
}

describe('plivo V3 signature — equal to the plivo SDK validateV3Signature', () => {
  for (const c of cases) {
    it(`${c.name} — valid, tampered, foreign token and rotating lists agree`, () => {
      const nonce = '05429567804466091622'
      const good = signPlivo(TOKEN, c.method, c.url, c.params, nonce)
      const foreign = signPlivo('another-token', c.method, c.url, c.params, nonce)
      expect(both(c.method, c.url, c.params, nonce, good)).toEqual([true, true])
      expect(both(c.method, c.url, c.params, nonce, `${foreign},${good}`)).toEqual([true, true])
      expect(both(c.method, c.url, c.params, nonce, foreign)).toEqual([false, false])
      expect(both(c.method, c.url, c.params, 'another-nonce', good)).toEqual([false, false])
      expect(both(c.method, `${c.url}${c.url.includes('?') ? '&' : '?'}z=1`, c.params, nonce, good)).toEqual([false, false])
      if (Object.keys(c.params).length > 0) expect(both(c.method, c.url, { ...c.params, From: '818011112222' }, nonce, good)).toEqual([false, false])
      // While a token rotates we hold two: either verifies.
      expect(both(c.method, c.url, c.params, nonce, good, ['old-token', TOKEN])).toEqual([true, true])
    })
  }

  it('the form we read back from the wire is the one Plivo signed', () => {
    const body = encodeForm(matched)
    const parsed = Object.fromEntries(new URLSearchParams(body))
    expect(signPlivo(TOKEN, 'POST', cases[0]!.url, parsed, 'n')).toBe(signPlivo(TOKEN, 'POST', cases[0]!.url, matched, 'n'))
  })
})
