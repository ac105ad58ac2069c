import { createHmac } from 'node:crypto'
import twilio from 'twilio'
import { describe, expect, it, vi } from 'vitest'
import { listFixtures, loadFixture } from '../../../src/carriers/twilio/fixtures.js'
import { signTwilioRequest, verifyTwilioSignature, type TwilioParams } from '../../../src/carriers/twilio/signature.js'

const authToken = 'test-auth-token'
const publicBaseUrl = 'https://callverify.example.com'
const path = '/webhooks/twilio/voice?tenant=demo&n=1'
const params = loadFixture('voice-matched').params

/** Twilio docs, "Webhooks security": the URL, then each key+value sorted by key, HMAC-SHA1, base64. */
function signByHand(token: string, url: string, form: TwilioParams): string {
  let data = url
  for (const key of Object.keys(form).sort()) {
    const value = form[key] ?? ''
    const values = Array.isArray(value) ? [...new Set(value)].sort() : [value]
    for (const v of values) data += key + v
  }
  return createHmac('sha1', token).update(Buffer.from(data, 'utf8')).digest('base64')
}

const signature = signByHand(authToken, publicBaseUrl + path, params)
const request = { authToken, publicBaseUrl, url: path, params, signature }

describe('verifyTwilioSignature', () => {
  it('signature — accepts one computed by hand over PUBLIC_BASE_URL + path + query', () => {
    expect(verifyTwilioSignature(request)).toBe(true)
  })

  it('signature — ignores a trailing slash on PUBLIC_BASE_URL', () => {
    expect(verifyTwilioSignature({ ...request, publicBaseUrl: `${publicBaseUrl}/` })).toBe(true)
  })

  it('signature — accepts repeated keys signed as Twilio signs them (values sorted)', () => {
    const form = { ...params, Extra: ['b', 'a'] }
    const sig = signByHand(authToken, publicBaseUrl + path, form)
    expect(verifyTwilioSignature({ ...request, params: form, signature: sig })).toBe(true)
  })

  it('signature — refuses a tampered parameter', () => {
    expect(verifyTwilioSignature({ ...request, params: { ...params, From: '+818011112222' } })).toBe(false)
  })

  it('signature — refuses an added parameter', () => {
    expect(verifyTwilioSignature({ ...request, params: { ...params, Digits: '1' } })).toBe(false)
  })

  it('signature — refuses another host, path or query', () => {
    expect(verifyTwilioSignature({ ...request, publicBaseUrl: 'https://attacker.example.com' })).toBe(false)
    expect(verifyTwilioSignature({ ...request, url: '/webhooks/twilio/status?tenant=demo&n=1' })).toBe(false)
    expect(verifyTwilioSignature({ ...request, url: '/webhooks/twilio/voice' })).toBe(false)
  })

  it('signature — refuses the wrong auth token', () => {
    expect(verifyTwilioSignature({ ...request, authToken: 'other-token' })).toBe(false)
  })

  it('signature — refuses a missing, empty or repeated header', () => {
    expect(verifyTwilioSignature({ ...request, signature: undefined })).toBe(false)
    expect(verifyTwilioSignature({ ...request, signature: '' })).toBe(false)
    expect(verifyTwilioSignature({ ...request, signature: [signature, signature] })).toBe(false)
  })

  it('signature — refuses a body that is not a form', () => {
    expect(verifyTwilioSignature({ ...request, params: 'From=%2B81' })).toBe(false)
    expect(verifyTwilioSignature({ ...request, params: { ...params, From: { nested: true } } })).toBe(false)
  })

  it('signature — accepts exactly what twilio.validateRequest accepts: the URL as received, with its port added or removed, or normalised', () => {
    const form = { ...params, CallerName: 'ヤマダ タロウ', Extra: ['b', 'a', 'b'], Empty: [] as string[] }
    const cases = [
      // [PUBLIC_BASE_URL, the URL Twilio signed, should verify]
      ['https://callverify.example.com', 'https://callverify.example.com', true],
      ['https://callverify.example.com', 'https://callverify.example.com:443', true],
      ['https://callverify.example.com:443', 'https://callverify.example.com', true],
      ['http://callverify.example.com:8080', 'http://callverify.example.com:8080', true],
      ['http://callverify.example.com:8080', 'http://callverify.example.com', true],
      ['https://callverify.example.com', 'https://callverify.example.com:8443', false],
      ['https://callverify.example.com', 'https://other.example.com', false],
    ] as const
    for (const [base, signed, verifies] of cases) {
      for (const url of [path, "/webhooks/twilio/voice?q=it's", '/webhooks/twilio/voice']) {
        const sig = signByHand(authToken, signed + url, form)
        const ours = verifyTwilioSignature({ authToken, publicBaseUrl: base, url, params: form, signature: sig })
        expect(ours, `${base} ${signed} ${url}`).toBe(twilio.validateRequest(authToken, sig, base + url, form))
        expect(ours, `${base} ${signed} ${url}`).toBe(verifies)
      }
    }
    expect(verifyTwilioSignature({ ...request, params: form, signature: signByHand(authToken, publicBaseUrl + path, { ...form, Extra: ['a'] }) })).toBe(false)
  })

  it('signature — a signature over the URL as received verifies without twilio\'s fallbacks; another form of the URL goes to validateRequest', () => {
    const validate = vi.spyOn(twilio, 'validateRequest')
    try {
      const form = { ...params, CallerName: 'ヤマダ タロウ', Extra: ['b', 'a', 'b'], Empty: [] as string[] }
      expect(verifyTwilioSignature({ ...request, params: form, signature: signByHand(authToken, publicBaseUrl + path, form) })).toBe(true)
      expect(verifyTwilioSignature(request)).toBe(true)
      expect(validate).not.toHaveBeenCalled()
      const ported = signByHand(authToken, 'https://callverify.example.com:443' + path, params)
      expect(verifyTwilioSignature({ ...request, signature: ported })).toBe(true)
      expect(validate).toHaveBeenCalledTimes(1)
    } finally {
      validate.mockRestore()
    }
  })

  it('signature — refuses a request URL that is not a path', () => {
    expect(verifyTwilioSignature({ ...request, url: 'https://callverify.example.com/webhooks/twilio/voice' })).toBe(false)
  })
})

describe('signTwilioRequest', () => {
  it('sign — produces the hand-computed signature', () => {
    expect(signTwilioRequest(authToken, publicBaseUrl + path, params)).toBe(signature)
  })

  it('sign — round-trips through verify for every fixture', () => {
    for (const name of listFixtures()) {
      const fixture = loadFixture(name)
      const sig = signTwilioRequest(authToken, publicBaseUrl + fixture.path, fixture.params)
      expect(verifyTwilioSignature({ authToken, publicBaseUrl, url: fixture.path, params: fixture.params, signature: sig }), name).toBe(true)
    }
  })
})
