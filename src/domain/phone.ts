import { Metadata, parsePhoneNumberFromString, PhoneNumber, type E164Number, type NumberType } from 'libphonenumber-js/max'
import { CallverifyError } from './errors.js'

// Japanese lines that can place an ordinary call from a customer's own phone (R4, R14).
// Toll-free, premium, shared-cost, UAN (0570), pagers and the like cannot be a caller ID on file.
const CALLING_TYPES: ReadonlySet<NumberType> = new Set(['MOBILE', 'FIXED_LINE', 'FIXED_LINE_OR_MOBILE', 'VOIP'])

// R14: 10 or 11 half-width digits with a leading 0, no hyphens; or E.164 +81.
const DOMESTIC = /^0\d{9,10}$/
const JP_E164 = /^\+81[1-9]\d{8,9}$/

// libphonenumber's getType(), for Japan, with its regular expressions built once. The library
// builds a RegExp for every pattern it tries, on every call (helpers/matchesEntirely.js), and
// that was most of a create's 5 µs in normalizeRegisteredNumber (npm run bench, BENCH_CPU_PROF).
// The patterns and lengths are the library's own metadata ('max'), tried in the order of its
// helpers/getNumberType.js; test/domain/phone.test.ts holds the answers equal to getType()'s.
// The metadata's numbering plan is read through its runtime methods, which the typings do not
// declare: if they are ever missing, jpType asks the library as before (JP_TYPES_COMPILED false).
interface PlanType { pattern(): string; possibleLengths(): number[] | undefined }
interface Plan { nationalNumberPattern(): string; type(name: NumberType): PlanType | undefined }
const NON_FIXED_LINE_TYPES: readonly NumberType[] = ['MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL']

function typeOfJapaneseNumbers(): ((national: string) => NumberType | undefined) | undefined {
  const metadata = new Metadata()
  metadata.selectNumberingPlan('JP')
  const plan = metadata.numberingPlan as unknown as Partial<Plan> | undefined
  if (typeof plan?.nationalNumberPattern !== 'function' || typeof plan.type !== 'function') return undefined
  const whole = (pattern: string) => new RegExp(`^(?:${pattern})$`)
  const valid = whole(plan.nationalNumberPattern())
  const matcher = (name: NumberType): ((national: string) => boolean) | undefined => {
    const type = plan.type!(name)
    const pattern = type?.pattern()
    if (!pattern) return undefined
    const regex = whole(pattern)
    const lengths = type!.possibleLengths()
    return (national) => (!lengths || lengths.includes(national.length)) && regex.test(national)
  }
  const fixed = matcher('FIXED_LINE')
  // getNumberType: a fixed-line match is also mobile when MOBILE is absent or its pattern empty, or matches too.
  const mobileType = plan.type('MOBILE')
  const alwaysMobile = !mobileType || mobileType.pattern() === ''
  const mobile = matcher('MOBILE')
  const others = NON_FIXED_LINE_TYPES.flatMap((name) => {
    const matches = matcher(name)
    return matches ? [{ name, matches }] : []
  })
  return (national) => {
    if (!valid.test(national)) return undefined
    if (fixed?.(national)) return alwaysMobile || mobile?.(national) ? 'FIXED_LINE_OR_MOBILE' : 'FIXED_LINE'
    return others.find((t) => t.matches(national))?.name
  }
}

const compiled = typeOfJapaneseNumbers()
/** Whether jpType runs on the compiled patterns (else it asks the library). */
export const JP_TYPES_COMPILED = compiled !== undefined
/** libphonenumber's getType() of a +81 number, given its national digits. */
export const jpType: (national: string) => NumberType | undefined =
  compiled ?? ((national) => new PhoneNumber(`+81${national}` as E164Number).getType())

/**
 * R14: the registered number as the bank sends it → E.164, or INVALID_PHONE_NUMBER.
 * The two accepted shapes make the E.164 form plain (0 → +81), so only the type is asked
 * (jpType), which no invalid number has: a fraction of the time of parsing the input and then
 * asking isValid() and getType(), with the same answers (test/domain/phone.test.ts compares
 * the two over every five-digit prefix).
 */
export function normalizeRegisteredNumber(input: string): string {
  const e164 = DOMESTIC.test(input) ? `+81${input.slice(1)}` : JP_E164.test(input) ? input : undefined
  if (e164 === undefined) throw new CallverifyError('INVALID_PHONE_NUMBER')
  const type = jpType(e164.slice(3))
  if (!type || !CALLING_TYPES.has(type)) throw new CallverifyError('INVALID_PHONE_NUMBER')
  return e164
}

/** A pool (verification) number: any valid E.164 number; toll-free is the usual kind (R2). */
export function normalizePoolNumber(input: string): string | null {
  if (!/^\+[1-9]\d{6,14}$/.test(input)) return null
  const parsed = parsePhoneNumberFromString(input)
  return parsed?.isValid() ? parsed.number : null
}

// Carriers send caller IDs that mean "no number": words, and sentinel numbers Twilio
// substitutes for them (Twilio docs, "Anonymous and restricted caller IDs").
const WITHHELD_WORDS = new Set(['', 'anonymous', 'restricted', 'unknown', 'private', 'unavailable', 'blocked'])
const WITHHELD_SENTINELS = new Set(['+266696687', '+7378742833', '+17378742833', '+2562533', '+8656696', '+86282452253'])

/** R5: a withheld caller ID (非通知, payphone, out of area) can verify nothing. */
export function isWithheldCaller(from: string | undefined): boolean {
  const value = (from ?? '').trim().toLowerCase()
  if (WITHHELD_WORDS.has(value) || value.startsWith('client:') || value.startsWith('sip:')) return true
  if (WITHHELD_SENTINELS.has(value)) return true
  return !/\d/.test(value)
}

/**
 * A caller ID as the carrier sends it (+81…, sometimes domestic digits) → E.164, or null.
 * The usual +81 caller is plain E.164 already: checked without parsing, as normalizeRegisteredNumber.
 */
export function normalizeCaller(from: string): string | null {
  const digits = from.trim()
  // isValid() is getType() !== undefined where the metadata has types, as 'max' has for JP (isValid.js).
  if (JP_E164.test(digits)) return jpType(digits.slice(3)) !== undefined ? digits : null
  if (!/^\+?\d{6,16}$/.test(digits)) return null
  const parsed = parsePhoneNumberFromString(digits, 'JP')
  return parsed?.isValid() ? parsed.number : null
}

/** The domestic digits of a JP number (0…), or the E.164 digits of any other. */
function domesticDigits(e164: string): string {
  return e164.startsWith('+81') ? `0${e164.slice(3)}` : e164.replace(/\D/g, '')
}

/** R1: every digit but the last four is '*', over the domestic form (*******5678). */
export function maskPhoneNumber(number: string): string {
  const digits = number.startsWith('+') ? domesticDigits(number) : number.replace(/\D/g, '')
  if (digits.length <= 4) return '*'.repeat(digits.length)
  return '*'.repeat(digits.length - 4) + digits.slice(-4)
}

export interface PresentedNumber { readonly e164: string; readonly display: string; readonly telUri: string }

// Every answer carries a pool number and the pool is small: format each once, not per response
// (libphonenumber was 6 % of a status poll). Bounded all the same, since numbers come and go.
const PRESENTED_CAP = 1000
const presented = new Map<string, PresentedNumber>()

/** R8: the verification number as shown (0120-000-001) and as tapped (tel:+81120000001). */
export function presentVerificationNumber(e164: string): PresentedNumber {
  let found = presented.get(e164)
  if (found === undefined) {
    const parsed = parsePhoneNumberFromString(e164)
    const display = parsed?.country === 'JP' ? parsed.formatNational() : (parsed?.formatInternational() ?? e164)
    found = Object.freeze({ e164, display, telUri: `tel:${e164}` })
    if (presented.size >= PRESENTED_CAP) presented.delete(presented.keys().next().value!)
    presented.set(e164, found)
  }
  return found
}
