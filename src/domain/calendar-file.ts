import { CALENDAR_REASONS, minutesOf, type CalendarReason, type ClosureRule, type ServiceCalendar } from './calendar.js'

// R12: a service calendar given as JSON (the SERVICE_CALENDAR file; its form is ServiceCalendar's
// comment in calendar.ts). Strict: a misspelt field is refused, not silently ignored.

const KIND_FIELDS: Record<ClosureRule['kind'], readonly string[]> = {
  daily: [],
  nthWeekday: ['weekday', 'nth'],
  dayBeforeNthWeekday: ['weekday', 'nth'],
  dates: ['month', 'days'],
}
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$/

function fail(path: string, expected: string, got: unknown): never {
  throw new Error(`service calendar: ${path} must be ${expected}, got ${JSON.stringify(got) ?? String(got)}`)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
  const extra = Object.keys(value).find((key) => !allowed.includes(key))
  if (extra !== undefined) fail(path ? `${path}.${extra}` : extra, `absent (allowed: ${allowed.join(', ')})`, value[extra])
}

function integer(value: unknown, path: string, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) fail(path, `an integer ${min}–${max}`, value)
  return value as number
}

function integers(value: unknown, path: string, min: number, max: number): number[] {
  if (!Array.isArray(value) || value.length === 0) fail(path, `a non-empty array of integers ${min}–${max}`, value)
  return value.map((item, i) => integer(item, `${path}[${i}]`, min, max))
}

function time(value: unknown, path: string, allow24: boolean): string {
  if (typeof value !== 'string' || !(TIME.test(value) || (allow24 && value === '24:00'))) {
    fail(path, `"HH:MM" from 00:00 to ${allow24 ? '24:00' : '23:59'}`, value)
  }
  return value
}

function parseRule(raw: unknown, path: string): ClosureRule {
  if (!isRecord(raw)) fail(path, 'an object', raw)
  const kind = raw.kind
  if (typeof kind !== 'string' || !Object.hasOwn(KIND_FIELDS, kind)) fail(`${path}.kind`, `one of ${Object.keys(KIND_FIELDS).join(', ')}`, kind)
  const ruleKind = kind as ClosureRule['kind']
  onlyKeys(raw, ['reason', 'kind', 'start', 'end', ...KIND_FIELDS[ruleKind]], path)
  if (typeof raw.reason !== 'string' || !(CALENDAR_REASONS as readonly string[]).includes(raw.reason)) fail(`${path}.reason`, `one of ${CALENDAR_REASONS.join(', ')}`, raw.reason)
  const times = { reason: raw.reason as CalendarReason, start: time(raw.start, `${path}.start`, false), end: time(raw.end, `${path}.end`, true) }
  if (minutesOf(times.start) === minutesOf(times.end)) fail(`${path}.end`, `different from start (${times.start})`, raw.end)
  switch (ruleKind) {
    case 'daily': return { ...times, kind: ruleKind }
    case 'nthWeekday':
    case 'dayBeforeNthWeekday':
      return { ...times, kind: ruleKind, weekday: integer(raw.weekday, `${path}.weekday`, 1, 7), nth: integers(raw.nth, `${path}.nth`, 1, 5) }
    case 'dates': {
      const month = integer(raw.month, `${path}.month`, 1, 12)
      return { ...times, kind: ruleKind, month, days: integers(raw.days, `${path}.days`, 1, DAYS_IN_MONTH[month - 1] ?? 31) }
    }
  }
}

/** R12: a calendar from its JSON form (see ServiceCalendar); throws an Error naming the bad field. */
export function parseServiceCalendar(json: unknown): ServiceCalendar {
  if (!isRecord(json)) fail('the calendar', 'an object {"rules": [...]}', json)
  onlyKeys(json, ['rules'], '')
  if (!Array.isArray(json.rules)) fail('rules', 'an array', json.rules)
  return { rules: json.rules.map((rule, i) => parseRule(rule, `rules[${i}]`)) }
}
