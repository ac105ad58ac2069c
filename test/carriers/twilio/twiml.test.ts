import { describe, expect, it } from 'vitest'
import { REJECT_BUSY_TWIML, TWIML_CONTENT_TYPE } from '../../../src/carriers/twilio/twiml.js'

describe('REJECT_BUSY_TWIML', () => {
  it('reject — is the exact busy reject TwiML', () => {
    expect(REJECT_BUSY_TWIML).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="busy"/></Response>')
  })

  it('reject — has Reject as its only verb, so no call is ever answered (R6)', () => {
    const body = REJECT_BUSY_TWIML.replace(/^<\?xml[^>]*\?>/, '')
    const elements = [...body.matchAll(/<([A-Za-z]+)/g)].map((m) => m[1])
    expect(elements).toEqual(['Response', 'Reject'])
  })

  it('content type — is text/xml', () => {
    expect(TWIML_CONTENT_TYPE).toBe('text/xml')
  })
})
