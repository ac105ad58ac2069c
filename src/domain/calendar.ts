import { DateTime, FixedOffsetZone } from 'luxon'
import { DAY_MS, JAPAN_OFFSET_MS } from './japan.js'

/** The reasons a calendar rule may carry: MAINTENANCE comes only from operators' windows. */
export const CALENDAR_REASONS = ['DAILY_MIDNIGHT', 'DAILY_0400', 'MONDAY_NIGHT', 'SUNDAY_EVE', 'NEW_YEAR'] as const
export type CalendarReason = (typeof CALENDAR_REASONS)[number]
export type ClosureReason = CalendarReason | 'MAINTENANCE'

/** One closure, [start, end) in ms since the epoch. */
export interface Closure { reason: ClosureReason; start: number; end: number }
/** An announced maintenance window (R12 ⑥), [startsAt, endsAt) in ms since the epoch: added by operators under /admin, kept by the store. */
export interface MaintenanceWindow {
  id: string
  startsAt: number
  endsAt: number
  note: string
  createdBy?: string
}

/** What the calendar reads of a maintenance window: when it closes the service. */
export type MaintenanceSpan = Pick<MaintenanceWindow, 'startsAt' | 'endsAt'>
export type ServiceStatus = { open: true } | { open: false; reason: ClosureReason; until: number }

interface RuleTimes { reason: CalendarReason; start: string; end: string }
export type ClosureRule =
  | (RuleTimes & { kind: 'daily' })
  | (RuleTimes & { kind: 'nthWeekday' | 'dayBeforeNthWeekday'; weekday: number; nth: readonly number[] })
  | (RuleTimes & { kind: 'dates'; month: number; days: readonly number[] })

/**
 * R12: recurring closures in Japan time (Asia/Tokyo), as JSON (`SERVICE_CALENDAR` file, read by calendar-file.ts):
 *
 *   {"rules": [
 *     {"reason": "DAILY_MIDNIGHT", "kind": "daily", "start": "00:00", "end": "00:01"},
 *     {"reason": "MONDAY_NIGHT", "kind": "nthWeekday", "weekday": 1, "nth": [1, 3], "start": "02:00", "end": "06:00"},
 *     {"reason": "SUNDAY_EVE", "kind": "dayBeforeNthWeekday", "weekday": 7, "nth": [2, 4], "start": "23:50", "end": "07:00"},
 *     {"reason": "NEW_YEAR", "kind": "dates", "month": 1, "days": [1, 2, 3], "start": "19:00", "end": "24:00"}
 *   ]}
 *
 * - `kind` says on which days a rule starts: `daily` every day; `nthWeekday` the nth `weekday`
 *   of the month; `dayBeforeNthWeekday` the day before it (which may be in the previous month);
 *   `dates` the given `days` of `month` (1–12) every year.
 * - `weekday` is ISO: 1 = Monday … 7 = Sunday. `nth` is 1–5 (the 5th exists in some months only).
 * - `start` is "HH:MM" (00:00–23:59) on that day; `end` is "HH:MM" (00:00–24:00). An `end` at or
 *   before `start` is on the next day, so a closure lasts at most 24 hours; `end` = `start` is refused.
 * - `reason` is one of DAILY_MIDNIGHT, DAILY_0400, MONDAY_NIGHT, SUNDAY_EVE, NEW_YEAR.
 *   Unknown fields are refused, so that a misspelt one does not silently change nothing.
 */
export interface ServiceCalendar { readonly rules: readonly ClosureRule[] }

export const SEED_CALENDAR: ServiceCalendar = {
  rules: [
    // R12: daily 00:00 for about one minute
    { reason: 'DAILY_MIDNIGHT', kind: 'daily', start: '00:00', end: '00:01' },
    // R12: daily 04:00 for a few minutes
    { reason: 'DAILY_0400', kind: 'daily', start: '04:00', end: '04:05' },
    // R12: the 1st and 3rd Monday 02:00–06:00
    { reason: 'MONDAY_NIGHT', kind: 'nthWeekday', weekday: 1, nth: [1, 3], start: '02:00', end: '06:00' },
    // R12: the day before the 2nd and 4th Sunday 23:50 to 07:00 on that Sunday
    { reason: 'SUNDAY_EVE', kind: 'dayBeforeNthWeekday', weekday: 7, nth: [2, 4], start: '23:50', end: '07:00' },
    // R12: 1–3 January 00:00–08:00
    { reason: 'NEW_YEAR', kind: 'dates', month: 1, days: [1, 2, 3], start: '00:00', end: '08:00' },
    // R12: 1–3 January 19:00–24:00
    { reason: 'NEW_YEAR', kind: 'dates', month: 1, days: [1, 2, 3], start: '19:00', end: '24:00' },
  ],
}

// A calendar that never opens (say, daily 00:00–24:00) would chain forever: give up a year on.
const CHAIN_HORIZON_MS = 366 * DAY_MS

// Japan has kept UTC+9 without daylight saving since 1951 (japan.ts): a fixed zone gives the same
// days as Asia/Tokyo without luxon asking Intl for the offset at every step (29 % of a create).
const JAPAN = FixedOffsetZone.instance(JAPAN_OFFSET_MS / 60_000)

/** "HH:MM" (to 24:00) → minutes since the day's start. */
export const minutesOf = (time: string): number => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5))

function isNthWeekday(day: DateTime, weekday: number, nth: readonly number[]): boolean {
  return day.weekday === weekday && nth.includes(Math.ceil(day.day / 7))
}

function ruleStartsOn(rule: ClosureRule, day: DateTime): boolean {
  switch (rule.kind) {
    case 'daily': return true
    case 'nthWeekday': return isNthWeekday(day, rule.weekday, rule.nth)
    case 'dayBeforeNthWeekday': return isNthWeekday(day.plus({ days: 1 }), rule.weekday, rule.nth)
    case 'dates': return day.month === rule.month && rule.days.includes(day.day)
  }
}

function closureOn(rule: ClosureRule, day: DateTime): Closure {
  const start = minutesOf(rule.start)
  const end = minutesOf(rule.end)
  const endDay = end <= start ? day.plus({ days: 1 }) : day
  return { reason: rule.reason, start: day.plus({ minutes: start }).toMillis(), end: endDay.plus({ minutes: end }).toMillis() }
}

// Same start: rules before maintenance (the calendar names the closure), then the longer one.
function byStart(a: Closure, b: Closure): number {
  const maintenance = Number(a.reason === 'MAINTENANCE') - Number(b.reason === 'MAINTENANCE')
  return a.start - b.start || maintenance || b.end - a.end
}

/** R12: every closure with start ≤ toMs and end > fromMs (so, when equal, those containing the moment), by start. */
export function closuresAround(calendar: ServiceCalendar, fromMs: number, toMs: number, maintenance: readonly MaintenanceSpan[] = []): Closure[] {
  const found: Closure[] = maintenance.map((w) => ({ reason: 'MAINTENANCE' as const, start: w.startsAt, end: w.endsAt }))
  const lastDay = DateTime.fromMillis(toMs, { zone: JAPAN }).startOf('day')
  // A closure lasts at most 24 h from its day's start, so one reaching fromMs began on its day or the day before.
  for (let day = DateTime.fromMillis(fromMs, { zone: JAPAN }).startOf('day').minus({ days: 1 }); day <= lastDay; day = day.plus({ days: 1 })) {
    for (const rule of calendar.rules) if (ruleStartsOn(rule, day)) found.push(closureOn(rule, day))
  }
  return found.filter((c) => c.start <= toMs && c.end > fromMs).sort(byStart)
}

// Closures that touch or overlap are one closure to the customer: follow them to the real reopening.
function reopeningAfter(calendar: ServiceCalendar, closedAtMs: number, maintenance: readonly MaintenanceSpan[]): number {
  let until = closedAtMs
  for (;;) {
    const containing = closuresAround(calendar, until, until, maintenance)
    if (containing.length === 0 || until - closedAtMs > CHAIN_HORIZON_MS) return until
    until = Math.max(...containing.map((c) => c.end))
  }
}

/** R12: open, or closed with the reason of the earliest closure holding atMs and when it really reopens. */
export function serviceStatusAt(calendar: ServiceCalendar, atMs: number, maintenance: readonly MaintenanceSpan[] = []): ServiceStatus {
  const containing = closuresAround(calendar, atMs, atMs, maintenance)
  // Maintenance names the closure only when no calendar rule covers the moment.
  const named = containing.find((c) => c.reason !== 'MAINTENANCE') ?? containing[0]
  if (!named) return { open: true }
  return { open: false, reason: named.reason, until: reopeningAfter(calendar, atMs, maintenance) }
}

/**
 * R12 with R3: a window [fromMs, fromMs + windowMs) must not be cut by a closure that begins inside it.
 * Only closures starting after fromMs count: whether fromMs itself is closed is serviceStatusAt's answer.
 */
export function closureStartingWithin(calendar: ServiceCalendar, fromMs: number, windowMs: number, maintenance: readonly MaintenanceSpan[] = []): ServiceStatus {
  const toMs = fromMs + windowMs
  const first = closuresAround(calendar, fromMs, toMs, maintenance).find((c) => c.start > fromMs && c.start < toMs)
  if (!first) return { open: true }
  return { open: false, reason: first.reason, until: reopeningAfter(calendar, first.start, maintenance) }
}

/**
 * R12 for many instants: the closures of [from, to] computed once, then each answer is a scan of
 * them (the service gate keeps one per Japan day). Answers agree with serviceStatusAt and
 * closureStartingWithin; undefined when one needs an instant outside the span (a chain of
 * closures running past `to`), and the caller asks those functions instead.
 */
export class ClosureSpan {
  readonly closures: readonly Closure[]

  constructor(calendar: ServiceCalendar, readonly from: number, readonly to: number, maintenance: readonly MaintenanceSpan[] = []) {
    this.closures = closuresAround(calendar, from, to, maintenance)
  }

  statusAt(atMs: number): ServiceStatus | undefined {
    if (atMs < this.from || atMs > this.to) return undefined
    let first: Closure | undefined
    let named: Closure | undefined
    for (const c of this.closures) {
      if (c.start > atMs) break
      if (c.end <= atMs) continue
      first ??= c
      if (c.reason !== 'MAINTENANCE') {
        named = c
        break
      }
    }
    const closure = named ?? first
    if (!closure) return { open: true }
    const until = this.reopeningAfter(atMs)
    return until === undefined ? undefined : { open: false, reason: closure.reason, until }
  }

  closureStartingWithin(fromMs: number, windowMs: number): ServiceStatus | undefined {
    const toMs = fromMs + windowMs
    if (fromMs < this.from || toMs > this.to) return undefined
    const first = this.closures.find((c) => c.start > fromMs && c.start < toMs)
    if (!first) return { open: true }
    const until = this.reopeningAfter(first.start)
    return until === undefined ? undefined : { open: false, reason: first.reason, until }
  }

  // reopeningAfter above, over the span's closures (sorted by start).
  private reopeningAfter(closedAtMs: number): number | undefined {
    let until = closedAtMs
    for (;;) {
      if (until > this.to) return undefined
      let end = until
      for (const c of this.closures) {
        if (c.start > until) break
        if (c.end > end) end = c.end
      }
      if (end === until || until - closedAtMs > CHAIN_HORIZON_MS) return until
      until = end
    }
  }
}
