import { describe, expect, it } from 'vitest'
import { parseSipInvite } from '../../src/carriers/sip/invite.js'

// The edge's report → the call: caller from P-Asserted-Identity else From, called from the
// Request-URI, Japanese number forms, R5 withheld, verstat (docs/contract.md "The SIP edge").

const EDGE = 'sip:0120000001@192.0.2.10:5060;user=phone'

function report(fields: Record<string, string>) {
  return parseSipInvite({ callId: 'a84b4c76e66710@pc33.trunk.example', requestUri: EDGE, ...fields })
}

describe('parseSipInvite — who calls whom', () => {
  it.each([
    ['sip: E.164 with user=phone', '<sip:+819012345678@trunk.example;user=phone>;tag=1928301774', '+819012345678'],
    ['sip: domestic digits', '"山田" <sip:09012345678@trunk.example>;tag=1', '09012345678'],
    ['tel: with visual separators', '<tel:+81-90-1234-5678>;tag=1', '+819012345678'],
    ['tel: local with phone-context', '<tel:09012345678;phone-context=+81>;tag=1', '+819012345678'],
    ['number portability in the user part (RFC 4694)', '<sip:+819012345678;npdi;rn=+819000000000@trunk.example;user=phone>;tag=1', '+819012345678'],
    ['a percent-encoded +', '<sip:%2B819012345678@trunk.example;user=phone>;tag=1', '+819012345678'],
    ['a bare URI (no angle brackets)', 'sip:+819012345678@trunk.example;tag=1', '+819012345678'],
  ])('From only — %s', (_, from, caller) => {
    expect(report({ from })).toEqual({ callId: 'a84b4c76e66710@pc33.trunk.example', from: caller, to: '+81120000001' })
  })

  it('P-Asserted-Identity is the caller over From; of two identities the first', () => {
    const invite = report({
      from: '<sip:+815011112222@trunk.example;user=phone>;tag=1',
      pAssertedIdentity: '"Yamada, Taro" <sip:+819012345678@ims.example;user=phone>, <tel:+819099999999>',
    })
    expect(invite?.from).toBe('+819012345678')
  })

  it.each([
    ['sip: domestic', 'sip:0120000001@edge;user=phone', '+81120000001'],
    ['sip: E.164 with ;npdi', 'sip:+81120000001;npdi@edge;user=phone', '+81120000001'],
    ['tel: domestic', 'tel:0120-000-001', '+81120000001'],
    ['sips:', 'sips:+81501234567@edge', '+81501234567'],
    ['no number (verifies nothing)', 'sip:edge.example', ''],
  ])('the called number is the Request-URI user — %s', (_, requestUri, to) => {
    expect(report({ requestUri, from: '<sip:+819012345678@t>;tag=1' })?.to).toBe(to)
  })
})

describe('parseSipInvite — withheld callers (R5, RFC 3323/3325/5079)', () => {
  const number = '<sip:+819012345678@trunk.example;user=phone>;tag=1'
  it.each([
    ['From anonymous', { from: '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=1' }],
    ['From Anonymous with a number asserted', { from: '<sip:Anonymous@anonymous.invalid>;tag=1', pAssertedIdentity: '<tel:+819012345678>' }],
    ['Privacy: id', { from: number, privacy: 'id' }],
    ['Privacy: id;critical', { from: number, privacy: 'id;critical' }],
    ['Privacy: header; user', { from: number, privacy: 'header; user' }],
    ['From without a number', { from: '<sip:unknown@trunk.example>;tag=1' }],
    ['an asserted identity without a number', { from: number, pAssertedIdentity: '<sip:restricted@ims.example>' }],
    ['a URI of another scheme', { from: '<urn:service:sos>;tag=1' }],
  ])('%s — the caller is empty (withheld)', (_, fields) => {
    expect(report(fields)?.from).toBe('')
  })

  it('Privacy: none hides nothing', () => {
    expect(report({ from: number, privacy: 'none' })?.from).toBe('+819012345678')
  })
})

describe('parseSipInvite — verstat and malformed reports', () => {
  it.each([
    ['a tel: parameter of the asserted identity', { from: '<sip:x@t>;tag=1', pAssertedIdentity: '<tel:+819012345678;verstat=TN-Validation-Passed>' }, { result: 'passed' }],
    ['a user-part parameter (3GPP TS 24.229)', { from: '<sip:+819012345678;verstat=TN-Validation-Failed-B@t;user=phone>;tag=1' }, { result: 'failed', level: 'B' }],
    ['a URI parameter of From', { from: '<sip:+819012345678@t;user=phone;verstat=TN-Validation-Passed-A>;tag=1' }, { result: 'passed', level: 'A' }],
  ])('verstat as %s is the attestation', (_, fields, attestation) => {
    expect(report(fields)?.attestation).toEqual(attestation)
  })

  it('No-TN-Validation, or no verstat, is no attestation (unknown, not failed)', () => {
    expect(report({ from: '<tel:+819012345678;verstat=No-TN-Validation>' })?.attestation).toBeUndefined()
    expect(report({ from: '<tel:+819012345678>' })?.attestation).toBeUndefined()
  })

  it.each([
    ['no Call-ID', { callId: '', requestUri: EDGE, from: '<tel:+819012345678>' }],
    ['a Call-ID with a space', { callId: 'a b', requestUri: EDGE, from: '<tel:+819012345678>' }],
    ['no Request-URI', { callId: 'x', from: '<tel:+819012345678>' }],
    ['no From', { callId: 'x', requestUri: EDGE }],
    ['a repeated field', { callId: ['x', 'y'], requestUri: EDGE, from: '<tel:+819012345678>' }],
  ])('%s — null (nothing recorded)', (_, form) => {
    expect(parseSipInvite(form)).toBeNull()
  })
})
