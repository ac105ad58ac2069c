import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import {
  SEED_CALENDAR,
  closureStartingWithin,
  closuresAround,
  serviceStatusAt,
  type MaintenanceSpan,
  type ServiceStatus,
} from '../../src/domain/calendar.js'
import { parseServiceCalendar } from '../../src/domain/calendar-file.js'
import { JAPAN_ZONE } from '../../src/domain/japan.js'

// Weekdays below were checked with luxon (and `cal`), e.g. 2027-03-01 and 2027-06-07 are
// Mondays, 2027-08-01 and 2028-10-01 Sundays, 2027-12-31 a Friday, 2028-01-03 a Monday.

/** A Japan-time wall clock string → ms. */
const jst = (local: string): number => {
  const dt = DateTime.fromISO(local, { zone: JAPAN_ZONE })
  if (!dt.isValid) throw new Error(`bad test date ${local}`)
  return dt.toMillis()
}

/** ms → Japan wall clock, seconds only when not zero. */
const wall = (ms: number): string =>
  DateTime.fromMillis(ms, { zone: JAPAN_ZONE }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS").replace(/:00\.000$/, '')

const show = (status: ServiceStatus): string => (status.open ? 'open' : `${status.reason} until ${wall(status.until)}`)

const statusAt = (local: string, maintenance: MaintenanceSpan[] = []): string =>
  show(serviceStatusAt(SEED_CALENDAR, jst(local), maintenance))

const planned = (from: string, to: string): MaintenanceSpan => ({ startsAt: jst(from), endsAt: jst(to) })

describe('serviceStatusAt — seed calendar on real dates (R12)', () => {
  it.each([
    // DAILY_MIDNIGHT on an ordinary Wednesday
    ['2027-05-11T23:59:59.999', 'open'],
    ['2027-05-12T00:00', 'DAILY_MIDNIGHT until 2027-05-12T00:01'],
    ['2027-05-12T00:00:59.999', 'DAILY_MIDNIGHT until 2027-05-12T00:01'],
    ['2027-05-12T00:01', 'open'],
    // DAILY_0400
    ['2027-05-12T03:59:59.999', 'open'],
    ['2027-05-12T04:00', 'DAILY_0400 until 2027-05-12T04:05'],
    ['2027-05-12T04:04:59.999', 'DAILY_0400 until 2027-05-12T04:05'],
    ['2027-05-12T04:05', 'open'],
    // MONDAY_NIGHT: March 2027 starts on a Monday (1st = 1, 3rd = 15, 5th = 29)
    ['2027-03-01T01:59:59.999', 'open'],
    ['2027-03-01T02:00', 'MONDAY_NIGHT until 2027-03-01T06:00'],
    ['2027-03-01T04:02', 'MONDAY_NIGHT until 2027-03-01T06:00'],
    ['2027-03-01T05:59:59.999', 'MONDAY_NIGHT until 2027-03-01T06:00'],
    ['2027-03-01T06:00', 'open'],
    ['2027-03-08T02:00', 'open'],
    ['2027-03-15T02:00', 'MONDAY_NIGHT until 2027-03-15T06:00'],
    ['2027-03-22T02:00', 'open'],
    ['2027-03-29T02:00', 'open'],
    // MONDAY_NIGHT: June 2027's first Monday is the 7th (3rd = 21)
    ['2027-06-07T02:00', 'MONDAY_NIGHT until 2027-06-07T06:00'],
    ['2027-06-14T03:00', 'open'],
    ['2027-06-21T05:59', 'MONDAY_NIGHT until 2027-06-21T06:00'],
    ['2027-06-28T03:00', 'open'],
    // SUNDAY_EVE: August 2027 has five Sundays (1, 8, 15, 22, 29); the 2nd is the 8th
    ['2027-08-07T23:49:59.999', 'open'],
    ['2027-08-07T23:50', 'SUNDAY_EVE until 2027-08-08T07:00'],
    ['2027-08-08T00:00:30', 'SUNDAY_EVE until 2027-08-08T07:00'],
    ['2027-08-08T04:02', 'SUNDAY_EVE until 2027-08-08T07:00'],
    ['2027-08-08T06:59:59.999', 'SUNDAY_EVE until 2027-08-08T07:00'],
    ['2027-08-08T07:00', 'open'],
    ['2027-07-31T23:55', 'open'], // eve of the 1st Sunday
    ['2027-08-14T23:55', 'open'], // eve of the 3rd Sunday
    ['2027-08-21T23:55', 'SUNDAY_EVE until 2027-08-22T07:00'],
    ['2027-08-28T23:55', 'open'], // eve of the 5th Sunday
    // SUNDAY_EVE: October 2028 also starts on a Sunday and has five of them
    ['2028-10-07T23:50', 'SUNDAY_EVE until 2028-10-08T07:00'],
    ['2028-10-28T23:55', 'open'],
    // January 2027 has five Sundays (3, 10, 17, 24, 31)
    ['2027-01-09T23:50', 'SUNDAY_EVE until 2027-01-10T07:00'],
    ['2027-01-23T23:59', 'SUNDAY_EVE until 2027-01-24T07:00'],
    ['2027-01-30T23:59', 'open'],
    // NEW_YEAR 2028: Saturday 1 – Monday 3 January; 31 December 2027 is a Friday
    ['2027-12-31T23:59', 'open'],
    ['2027-12-31T23:59:59.999', 'open'],
    ['2028-01-01T00:00', 'NEW_YEAR until 2028-01-01T08:00'],
    ['2028-01-01T07:59:59.999', 'NEW_YEAR until 2028-01-01T08:00'],
    ['2028-01-01T08:00', 'open'],
    ['2028-01-01T18:59:59.999', 'open'],
    ['2028-01-01T19:00', 'NEW_YEAR until 2028-01-02T08:00'],
    ['2028-01-02T12:00', 'open'],
    ['2028-01-03T23:59:59.999', 'NEW_YEAR until 2028-01-04T00:01'],
    ['2028-01-04T00:00:30', 'DAILY_MIDNIGHT until 2028-01-04T00:01'],
    ['2028-01-04T00:01', 'open'],
    ['2028-01-04T07:00', 'open'],
    ['2028-01-04T19:00', 'open'],
  ])('serviceStatusAt — %s JST is %s', (at, expected) => {
    expect(statusAt(at)).toBe(expected)
  })

  it('serviceStatusAt — judges Japan time, not UTC', () => {
    expect(show(serviceStatusAt(SEED_CALENDAR, Date.parse('2027-05-11T15:00:30Z')))).toBe('DAILY_MIDNIGHT until 2027-05-12T00:01')
    expect(show(serviceStatusAt(SEED_CALENDAR, Date.parse('2027-05-12T00:00:30Z')))).toBe('open')
  })
})

describe('serviceStatusAt — chaining closures that touch or overlap', () => {
  it('serviceStatusAt — 1 January 00:00: DAILY_MIDNIGHT and NEW_YEAR chain to 08:00', () => {
    expect(statusAt('2027-01-01T00:00')).toBe('NEW_YEAR until 2027-01-01T08:00')
    expect(statusAt('2027-01-01T04:02')).toBe('NEW_YEAR until 2027-01-01T08:00')
  })

  it('serviceStatusAt — a 1st Monday inside NEW_YEAR (3 January 2028) stays NEW_YEAR until 08:00', () => {
    expect(statusAt('2028-01-03T03:00')).toBe('NEW_YEAR until 2028-01-03T08:00')
    expect(statusAt('2028-01-02T21:00')).toBe('NEW_YEAR until 2028-01-03T08:00')
  })

  it('serviceStatusAt — the evening of 3 January chains into 4 January 00:01; 4 January 2027 is then a 1st Monday', () => {
    expect(statusAt('2027-01-03T19:00')).toBe('NEW_YEAR until 2027-01-04T00:01')
    expect(statusAt('2027-01-04T00:01')).toBe('open')
    expect(statusAt('2027-01-04T02:00')).toBe('MONDAY_NIGHT until 2027-01-04T06:00')
    expect(statusAt('2027-01-04T08:00')).toBe('open')
  })

  it('serviceStatusAt — maintenance alone is MAINTENANCE; overlapping and touching windows merge', () => {
    const maintenance = [planned('2027-05-12T10:30', '2027-05-12T12:00'), planned('2027-05-12T10:00', '2027-05-12T11:00'), planned('2027-05-12T12:00', '2027-05-12T13:00')]
    expect(statusAt('2027-05-12T09:59', maintenance)).toBe('open')
    expect(statusAt('2027-05-12T10:00', maintenance)).toBe('MAINTENANCE until 2027-05-12T13:00')
    expect(statusAt('2027-05-12T12:30', maintenance)).toBe('MAINTENANCE until 2027-05-12T13:00')
    expect(statusAt('2027-05-12T13:00', maintenance)).toBe('open')
  })

  it('serviceStatusAt — maintenance chains with calendar closures, which name the closure they cover', () => {
    const maintenance = [planned('2027-05-12T03:00', '2027-05-12T04:02'), planned('2027-05-12T23:00', '2027-05-13T00:00')]
    expect(statusAt('2027-05-12T03:00', maintenance)).toBe('MAINTENANCE until 2027-05-12T04:05')
    expect(statusAt('2027-05-12T04:01', maintenance)).toBe('DAILY_0400 until 2027-05-12T04:05')
    expect(statusAt('2027-05-12T23:30', maintenance)).toBe('MAINTENANCE until 2027-05-13T00:01')
  })

  it('serviceStatusAt — an empty or inverted maintenance window closes nothing', () => {
    const at = '2027-05-12T10:00'
    expect(statusAt(at, [planned(at, at), planned(at, '2027-05-12T09:00')])).toBe('open')
  })

  it('serviceStatusAt — a calendar that never opens gives up chaining about a year on', () => {
    const always = parseServiceCalendar({ rules: [{ reason: 'DAILY_MIDNIGHT', kind: 'daily', start: '00:00', end: '24:00' }] })
    const status = serviceStatusAt(always, jst('2027-05-12T10:00'))
    expect(status.open).toBe(false)
    if (!status.open) expect(status.until).toBeGreaterThan(jst('2028-05-12T00:00'))
  })
})

describe('closureStartingWithin — a closure beginning inside a new 120 s window', () => {
  const within = (from: string, maintenance: MaintenanceSpan[] = []): string =>
    show(closureStartingWithin(SEED_CALENDAR, jst(from), 120_000, maintenance))

  it('closureStartingWithin — 23:59:00 is refused with DAILY_MIDNIGHT until 00:01', () => {
    expect(within('2027-05-11T23:59')).toBe('DAILY_MIDNIGHT until 2027-05-12T00:01')
  })

  it('closureStartingWithin — a window ending exactly when a closure starts is accepted', () => {
    expect(within('2027-05-11T23:58')).toBe('open')
    expect(within('2027-05-12T03:58')).toBe('open')
  })

  it('closureStartingWithin — reports the chained reopening (SUNDAY_EVE, NEW_YEAR)', () => {
    expect(within('2027-08-07T23:49')).toBe('SUNDAY_EVE until 2027-08-08T07:00')
    expect(within('2027-12-31T23:59:30')).toBe('NEW_YEAR until 2028-01-01T08:00')
  })

  it('closureStartingWithin — a maintenance window starting inside is MAINTENANCE', () => {
    expect(within('2027-05-12T09:59', [planned('2027-05-12T10:00', '2027-05-12T10:30')])).toBe('MAINTENANCE until 2027-05-12T10:30')
  })

  it('closureStartingWithin — ignores the closure already holding the start (serviceStatusAt answers that)', () => {
    expect(within('2027-03-01T02:30')).toBe('open')
  })
})

describe('closuresAround — lists closures overlapping a range', () => {
  it('closuresAround — one Sunday eve night, sorted by start', () => {
    const found = closuresAround(SEED_CALENDAR, jst('2027-08-07T23:00'), jst('2027-08-08T08:00')).map((c) => `${c.reason} ${wall(c.start)}–${wall(c.end)}`)
    expect(found).toEqual([
      'SUNDAY_EVE 2027-08-07T23:50–2027-08-08T07:00',
      'DAILY_MIDNIGHT 2027-08-08T00:00–2027-08-08T00:01',
      'DAILY_0400 2027-08-08T04:00–2027-08-08T04:05',
    ])
  })
})

describe('parseServiceCalendar — JSON calendars', () => {
  it('parseServiceCalendar — the seed calendar round-trips through JSON', () => {
    expect(parseServiceCalendar(JSON.parse(JSON.stringify(SEED_CALENDAR)))).toEqual(SEED_CALENDAR)
  })

  it('parseServiceCalendar — a day before the 1st Sunday may be in the previous month', () => {
    const calendar = parseServiceCalendar({ rules: [{ reason: 'SUNDAY_EVE', kind: 'dayBeforeNthWeekday', weekday: 7, nth: [1], start: '22:00', end: '02:00' }] })
    expect(show(serviceStatusAt(calendar, jst('2027-07-31T22:00')))).toBe('SUNDAY_EVE until 2027-08-01T02:00')
    expect(show(serviceStatusAt(calendar, jst('2027-08-07T22:00')))).toBe('open')
  })

  const rule = { reason: 'DAILY_0400', kind: 'daily', start: '04:00', end: '04:05' }
  it.each([
    ['a non-object', [], /the calendar must be an object/],
    ['missing rules', {}, /rules must be an array, got undefined/],
    ['an unknown top-level field', { rules: [], zone: 'UTC' }, /zone must be absent/],
    ['an unknown kind', { rules: [{ ...rule, kind: 'weekly' }] }, /rules\[0\]\.kind must be one of daily, nthWeekday/],
    ['MAINTENANCE as a rule reason', { rules: [{ ...rule, reason: 'MAINTENANCE' }] }, /rules\[0\]\.reason must be one of .*got "MAINTENANCE"/],
    ['a bad start', { rules: [rule, { ...rule, start: '4:00' }] }, /rules\[1\]\.start must be "HH:MM"/],
    ['a start of 24:00', { rules: [{ ...rule, start: '24:00' }] }, /rules\[0\]\.start must be "HH:MM" from 00:00 to 23:59/],
    ['an end of 24:30', { rules: [{ ...rule, end: '24:30' }] }, /rules\[0\]\.end must be "HH:MM" from 00:00 to 24:00/],
    ['an end equal to the start', { rules: [{ ...rule, start: '00:00', end: '00:00' }] }, /rules\[0\]\.end must be different from start/],
    ['a field of another kind', { rules: [{ ...rule, weekday: 1 }] }, /rules\[0\]\.weekday must be absent/],
    ['weekday 0', { rules: [{ ...rule, kind: 'nthWeekday', weekday: 0, nth: [1] }] }, /rules\[0\]\.weekday must be an integer 1–7, got 0/],
    ['an empty nth', { rules: [{ ...rule, kind: 'nthWeekday', weekday: 1, nth: [] }] }, /rules\[0\]\.nth must be a non-empty array/],
    ['nth 6', { rules: [{ ...rule, kind: 'dayBeforeNthWeekday', weekday: 7, nth: [2, 6] }] }, /rules\[0\]\.nth\[1\] must be an integer 1–5/],
    ['month 13', { rules: [{ ...rule, kind: 'dates', month: 13, days: [1] }] }, /rules\[0\]\.month must be an integer 1–12/],
    ['30 February', { rules: [{ ...rule, kind: 'dates', month: 2, days: [28, 30] }] }, /rules\[0\]\.days\[1\] must be an integer 1–29/],
  ])('parseServiceCalendar — rejects %s with a message naming the field', (_name, json, message) => {
    expect(() => parseServiceCalendar(json)).toThrow(message)
  })
})
