import { describe, expect, it } from 'vitest'
import { isWithheldCaller } from '../../../src/domain/phone.js'
import { signTwilioRequest, verifyTwilioSignature } from '../../../src/carriers/twilio/signature.js'
import { RegisteredNumbers, formBody, inboundCallParams } from '../../../src/http/demo/simulate.js'

describe('demo simulator', () => {
  it('registered numbers — forgotten 10 minutes after the start', () => {
    let now = 0
    const numbers = new RegisteredNumbers(() => now)
    numbers.remember('vf_a', '+819012345678')
    now += 10 * 60 * 1000 - 1
    expect(numbers.lookup('vf_a')).toBe('+819012345678')
    now += 1
    expect(numbers.lookup('vf_a')).toBeUndefined()
  })

  it('registered numbers — bounded: past 1000 the oldest goes first', () => {
    const numbers = new RegisteredNumbers(() => 0)
    for (let i = 0; i < 1001; i++) numbers.remember(`vf_${i}`, '+819012345678')
    expect(numbers.size).toBe(1000)
    expect(numbers.lookup('vf_0')).toBeUndefined()
    expect(numbers.lookup('vf_1000')).toBe('+819012345678')
  })

  it('inbound call — shaped like Twilio\'s, signed so the voice webhook accepts it', () => {
    const params = inboundCallParams({ accountSid: `AC${'1'.repeat(32)}`, from: '+819012345678', to: '+81120000002' })
    expect(params).toMatchObject({
      AccountSid: `AC${'1'.repeat(32)}`,
      ApiVersion: '2010-04-01',
      Direction: 'inbound',
      CallStatus: 'ringing',
      From: '+819012345678',
      Caller: '+819012345678',
      To: '+81120000002',
      Called: '+81120000002',
      FromCountry: 'JP',
    })
    expect(params.CallSid).toMatch(/^CA[0-9a-f]{32}$/)
    expect(inboundCallParams({ accountSid: 'AC', from: '+819012345678', to: '+81120000002' }).CallSid).not.toBe(params.CallSid)

    const url = 'http://127.0.0.1:3000/webhooks/twilio/voice'
    const signature = signTwilioRequest('token', url, params)
    const parsed = Object.fromEntries(new URLSearchParams(formBody(params)))
    expect(verifyTwilioSignature({ authToken: 'token', publicBaseUrl: 'http://127.0.0.1:3000', url: '/webhooks/twilio/voice', params: parsed, signature })).toBe(true)
  })

  it('inbound call — a withheld caller arrives as Twilio sends it (R5)', () => {
    const params = inboundCallParams({ accountSid: 'AC', from: undefined, to: '+81120000002' })
    expect(isWithheldCaller(String(params.From))).toBe(true)
    expect(params.To).toBe('+81120000002')
  })
})
