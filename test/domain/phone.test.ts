import { parsePhoneNumberFromString, PhoneNumber, type E164Number } from 'libphonenumber-js/max'
import { describe, expect, it } from 'vitest'
import { CallverifyError } from '../../src/domain/errors.js'
import {
  isWithheldCaller, JP_TYPES_COMPILED, jpType, maskPhoneNumber, normalizeCaller, normalizePoolNumber, normalizeRegisteredNumber, presentVerificationNumber,
} from '../../src/domain/phone.js'

describe('maskPhoneNumber (R1)', () => {
  it.each([
    ['09012345678', '*******5678'],
    ['+819012345678', '*******5678'],
    ['0312345678', '******5678'],
    ['+81312345678', '******5678'],
    ['+81120000001', '******0001'],
  ])('maskPhoneNumber — %s → %s (the domestic form, all but the last four starred)', (input, masked) => {
    expect(maskPhoneNumber(input)).toBe(masked)
  })

  it('maskPhoneNumber — never shows more than the last four digits', () => {
    const masked = maskPhoneNumber('+819087654321')
    expect(masked).toBe('*******4321')
    expect(masked).not.toMatch(/90|8765/)
  })

  it('maskPhoneNumber — four digits or fewer are all starred', () => {
    expect(maskPhoneNumber('1234')).toBe('****')
    expect(maskPhoneNumber('12')).toBe('**')
  })
})

describe('normalizeRegisteredNumber (R14)', () => {
  it.each([
    ['09012345678', '+819012345678', 'mobile 090'],
    ['08012345678', '+818012345678', 'mobile 080'],
    ['07012345678', '+817012345678', 'mobile 070'],
    ['0312345678', '+81312345678', 'fixed Tokyo 03'],
    ['0612345678', '+81612345678', 'fixed Osaka 06'],
    ['05012345678', '+815012345678', 'IP phone 050'],
    ['+819012345678', '+819012345678', 'E.164 mobile'],
    ['+81312345678', '+81312345678', 'E.164 fixed'],
  ])('normalizeRegisteredNumber — accepts %s as %s (%s)', (input, e164) => {
    expect(normalizeRegisteredNumber(input)).toBe(e164)
  })

  it.each([
    ['0120123456', 'toll-free 0120'],
    ['08001234567', 'toll-free 0800'],
    ['0570123456', 'navi dial 0570'],
    ['0990123456', 'premium 0990'],
    ['012345', 'too short'],
    ['090123456', '9 digits'],
    ['090123456789', '12 digits'],
    ['090-1234-5678', 'hyphens'],
    ['090 1234 5678', 'spaces'],
    ['０９０１２３４５６７８', 'full-width digits'],
    ['+14155550100', 'a US number'],
    ['+1090123456', '+1 with a Japanese-looking tail'],
    ['0901234abcd', 'letters'],
    ['9012345678', 'no leading 0'],
    ['0012345678', 'international prefix'],
    ['', 'empty'],
  ])('normalizeRegisteredNumber — refuses %s (%s) with INVALID_PHONE_NUMBER', (input) => {
    let error: unknown
    try {
      normalizeRegisteredNumber(input)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(CallverifyError)
    expect((error as CallverifyError).code).toBe('INVALID_PHONE_NUMBER')
    expect((error as CallverifyError).status).toBe(400)
    // R1: the refusal never echoes the number.
    if (input.length > 4) expect((error as CallverifyError).message).not.toContain(input)
  })

  it('normalizeRegisteredNumber — answers as a full parse would, for every five-digit prefix, both lengths and both shapes', () => {
    // The long way: parse the input as a JP number, then isValid() and getType() (what
    // normalizeRegisteredNumber shortcuts).
    const calling = new Set(['MOBILE', 'FIXED_LINE', 'FIXED_LINE_OR_MOBILE', 'VOIP'])
    const byParsing = (input: string): string | null => {
      if (!/^0\d{9,10}$/.test(input) && !/^\+81[1-9]\d{8,9}$/.test(input)) return null
      const parsed = parsePhoneNumberFromString(input, 'JP')
      const type = parsed?.country === 'JP' && parsed.isValid() ? parsed.getType() : undefined
      return type && calling.has(type) ? parsed!.number : null
    }
    const ours = (input: string): string | null => {
      try {
        return normalizeRegisteredNumber(input)
      } catch {
        return null
      }
    }
    const { differing, accepted } = compareOverPrefixes(byParsing, ours)
    expect(differing).toEqual([])
    expect(accepted).toBeGreaterThan(10_000) // both answers are exercised, not only refusals
  })
})

/**
 * Every five-digit prefix of a JP national number, 10 and 11 digits long, as domestic digits
 * (0…) and as E.164 (+81…), with pseudo-random tails from a fixed seed: where `ours` answers
 * otherwise than `expected`, and how many `expected` accepted.
 */
function compareOverPrefixes(expected: (input: string) => string | null, ours: (input: string) => string | null) {
  let seed = 20261125
  const digits = (n: number) => Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % 10)).join('')
  const differing: string[] = []
  let accepted = 0
  for (let prefix = 0; prefix < 10_000; prefix++) {
    for (const length of [10, 11]) {
      const national = `${String(prefix).padStart(4, '0')}${digits(length - 5)}`
      for (const input of [`0${national}`, `+81${national}`]) {
        const answer = expected(input)
        if (ours(input) !== answer) differing.push(input)
        if (answer !== null) accepted++
      }
    }
  }
  return { differing, accepted }
}

describe('jpType', () => {
  it('jpType — is built from the metadata (so the fast path runs), and answers as getType() for every five-digit prefix, 8 to 12 national digits long', () => {
    expect(JP_TYPES_COMPILED).toBe(true)
    let seed = 20261202
    const digit = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % 10)
    const differing: string[] = []
    const types = new Map<string, number>()
    for (let prefix = 0; prefix < 100_000; prefix++) {
      for (let length = 8; length <= 12; length++) {
        const national = String(prefix).padStart(5, '0').slice(0, length) + Array.from({ length: length - 5 }, digit).join('')
        const theirs = new PhoneNumber(`+81${national}` as E164Number).getType()
        const key = String(theirs)
        types.set(key, (types.get(key) ?? 0) + 1)
        if (jpType(national) !== theirs) differing.push(national)
      }
    }
    expect(differing).toEqual([])
    // Every kind of answer is exercised, refusals and the calling types alike.
    for (const type of ['undefined', 'MOBILE', 'FIXED_LINE', 'TOLL_FREE', 'VOIP', 'PAGER', 'UAN', 'PREMIUM_RATE']) expect(types.get(type), type).toBeGreaterThan(0)
  })
})

describe('isWithheldCaller (R5)', () => {
  it.each([
    '', ' ', 'anonymous', 'Anonymous', 'RESTRICTED', ' restricted ', 'unknown', 'private', 'unavailable', 'blocked',
    'client:alice', 'sip:alice@example.com', '+266696687', '+7378742833', '+17378742833', '+2562533', '+8656696', '+86282452253',
  ])('isWithheldCaller — %j is withheld', (from) => {
    expect(isWithheldCaller(from)).toBe(true)
  })

  it('isWithheldCaller — a missing From is withheld', () => {
    expect(isWithheldCaller(undefined)).toBe(true)
  })

  it.each(['+819012345678', '09012345678', '+81312345678', '+14155550100'])('isWithheldCaller — %s is a caller ID', (from) => {
    expect(isWithheldCaller(from)).toBe(false)
  })
})

describe('normalizeCaller', () => {
  it('normalizeCaller — answers as a full parse would, for every five-digit prefix, both lengths and both shapes', () => {
    const byParsing = (input: string): string | null => {
      const parsed = parsePhoneNumberFromString(input, 'JP')
      return parsed?.isValid() ? parsed.number : null
    }
    const { differing, accepted } = compareOverPrefixes(byParsing, normalizeCaller)
    expect(differing).toEqual([])
    expect(accepted).toBeGreaterThan(10_000)
  })

  it.each([
    ['+819012345678', '+819012345678'],
    ['09012345678', '+819012345678'],
    ['0312345678', '+81312345678'],
    [' +819012345678 ', '+819012345678'],
    ['+14155550100', '+14155550100'],
  ])('normalizeCaller — %j → %s', (from, e164) => {
    expect(normalizeCaller(from)).toBe(e164)
  })

  it.each(['090-1234-5678', 'anonymous', '12345', '+8190123', 'client:alice', ''])('normalizeCaller — %j → null', (from) => {
    expect(normalizeCaller(from)).toBeNull()
  })

  it('normalizeCaller — both carrier forms of one number match the registered number', () => {
    const registered = normalizeRegisteredNumber('09012345678')
    expect(normalizeCaller('+819012345678')).toBe(registered)
    expect(normalizeCaller('09012345678')).toBe(registered)
  })
})

describe('normalizePoolNumber', () => {
  it.each(['+81120000001', '+818001234567', '+81312345678', '+14155550100'])('normalizePoolNumber — accepts %s', (e164) => {
    expect(normalizePoolNumber(e164)).toBe(e164)
  })

  it.each(['0120000001', '81120000001', '+81 120 000 001', '+8112', '+0120000001', 'abc'])('normalizePoolNumber — refuses %j', (input) => {
    expect(normalizePoolNumber(input)).toBeNull()
  })
})

describe('presentVerificationNumber (R8)', () => {
  it.each([
    ['+81120000001', '0120-000-001'],
    ['+818001234567', '0800-123-4567'],
    ['+81312345678', '03-1234-5678'],
    ['+815012345678', '050-1234-5678'],
    ['+14155550100', '+1 415 555 0100'],
  ])('presentVerificationNumber — %s displays as %s and dials as tel:%s', (e164, display) => {
    expect(presentVerificationNumber(e164)).toEqual({ e164, display, telUri: `tel:${e164}` })
  })
})
