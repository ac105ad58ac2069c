import { describe, expect, it } from 'vitest'
import { listFixtures, loadFixture } from '../../../src/carriers/twilio/fixtures.js'
import { parseStatusParams, parseVoiceParams } from '../../../src/carriers/twilio/params.js'
import { REJECT_BUSY_TWIML } from '../../../src/carriers/twilio/twiml.js'
import { isWithheldCaller, normalizeCaller } from '../../../src/domain/phone.js'

const fixtures = listFixtures().map(loadFixture)
const voiceLike = fixtures.filter((f) => f.path !== '/webhooks/twilio/status')
const status = fixtures.filter((f) => f.path === '/webhooks/twilio/status')

describe('carrier fixtures', () => {
  it('fixtures — cover every withheld form of the contract, and the other cases', () => {
    const withheld = fixtures.filter((f) => f.expect.outcome === 'withheld').map((f) => f.params.From)
    expect(withheld.map((from) => String(from).toLowerCase()).sort()).toEqual(
      ['', 'anonymous', 'blocked', 'client:alice', 'private', 'restricted', 'unavailable', 'unknown',
        '+266696687', '+7378742833', '+17378742833', '+2562533', '+8656696', '+86282452253'].sort(),
    )
    for (const name of ['voice-matched', 'voice-domestic-from', 'voice-wrong-caller', 'voice-unknown-to', 'voice-retry',
      'voice-malformed', 'status-busy', 'status-no-answer', 'status-failed', 'status-completed-answered', 'fallback']) {
      expect(listFixtures()).toContain(name)
    }
  })

  it('fixtures — every voice and fallback answer is the busy reject', () => {
    for (const f of voiceLike) expect(f.expect.body, f.name).toBe(REJECT_BUSY_TWIML)
  })

  it('fixtures — a retry reuses the CallSid of the call it repeats', () => {
    expect(loadFixture('voice-retry').params.CallSid).toBe(loadFixture('voice-matched').params.CallSid)
  })

  it('fixtures — refuse names that leave the folder', () => {
    expect(() => loadFixture('../package')).toThrow(/not a fixture name/)
    expect(() => loadFixture('no-such-case')).toThrow(/no fixture/)
  })
})

describe('parseVoiceParams', () => {
  it('voice — parses every well-formed voice and fallback fixture', () => {
    for (const f of voiceLike.filter((f) => f.expect.outcome !== 'malformed')) {
      const parsed = parseVoiceParams(f.params)
      expect(parsed, f.name).not.toBeNull()
      expect(parsed?.callSid).toBe(f.params.CallSid)
      expect(parsed?.from).toBe(f.params.From)
      expect(parsed?.to).toBe(f.params.To)
    }
  })

  it('voice — withheld fixtures are withheld callers (R5), the others are not', () => {
    for (const f of voiceLike.filter((f) => f.expect.outcome !== 'malformed')) {
      const from = parseVoiceParams(f.params)?.from
      expect(isWithheldCaller(from), f.name).toBe(f.expect.outcome === 'withheld')
    }
  })

  it('voice — the matched and domestic callers normalise to the same number', () => {
    for (const name of ['voice-matched', 'voice-domestic-from']) {
      expect(normalizeCaller(parseVoiceParams(loadFixture(name).params)?.from ?? '')).toBe('+819012345678')
    }
  })

  it('voice — a fallback request carries the error that caused it', () => {
    expect(parseVoiceParams(loadFixture('fallback').params)).toMatchObject({ errorCode: '11200' })
  })

  it('voice — malformed fixtures parse to null', () => {
    const malformed = fixtures.filter((f) => f.expect.outcome === 'malformed')
    expect(malformed.length).toBeGreaterThan(0)
    for (const f of malformed) expect(parseVoiceParams(f.params), f.name).toBeNull()
  })

  it('voice — refuses bodies Twilio cannot have sent', () => {
    const good = loadFixture('voice-matched').params
    for (const body of [undefined, null, '', 'CallSid=CA1', [good]]) expect(parseVoiceParams(body)).toBeNull()
    expect(parseVoiceParams({ ...good, To: undefined })).toBeNull()
    expect(parseVoiceParams({ ...good, To: '' })).toBeNull()
    expect(parseVoiceParams({ ...good, CallSid: 'CA123' })).toBeNull()
    expect(parseVoiceParams({ ...good, AccountSid: 'not-an-account' })).toBeNull()
    expect(parseVoiceParams({ ...good, To: ['+81120000001', '+81120000002'] })).toBeNull()
    expect(parseVoiceParams({ ...good, From: `+81${'9'.repeat(300)}` })).toBeNull()
  })

  it('voice — a missing From is an empty (withheld) caller, not a malformed call', () => {
    const { From: _from, ...rest } = loadFixture('voice-matched').params
    expect(parseVoiceParams(rest)?.from).toBe('')
  })
})

describe('parseStatusParams', () => {
  it('status — parses every status fixture', () => {
    for (const f of status) expect(parseStatusParams(f.params), f.name).toMatchObject({ callSid: f.params.CallSid, callStatus: f.params.CallStatus })
  })

  it('status — CallDuration > 0 means the call was answered', () => {
    expect(parseStatusParams(loadFixture('status-completed-answered').params)).toMatchObject({ callDuration: 4, answered: true })
    for (const name of ['status-busy', 'status-no-answer', 'status-failed']) {
      expect(parseStatusParams(loadFixture(name).params), name).toMatchObject({ callDuration: null, answered: false })
    }
    expect(parseStatusParams({ ...loadFixture('status-busy').params, CallDuration: '0' })).toMatchObject({ answered: false })
  })

  it('status — refuses an unknown status or a bad duration', () => {
    const good = loadFixture('status-completed-answered').params
    expect(parseStatusParams({ ...good, CallStatus: 'exploded' })).toBeNull()
    expect(parseStatusParams({ ...good, CallDuration: '-1' })).toBeNull()
    expect(parseStatusParams({ ...good, CallDuration: ['1', '2'] })).toBeNull()
    expect(parseStatusParams(undefined)).toBeNull()
  })
})
