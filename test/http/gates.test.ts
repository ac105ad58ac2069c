import { describe, expect, it } from 'vitest'
import {
  SEED_CALENDAR, closureStartingWithin, closuresAround, serviceStatusAt, type ServiceCalendar,
} from '../../src/domain/calendar.js'
import { ServiceGate } from '../../src/plugins/gate.js'
import type { MaintenanceWindow, Store } from '../../src/store/types.js'

// The gate answers from closures it computed once per Japan day (plugins/gate.ts): over a sweep of
// instants it must say exactly what the pure R12 functions say, maintenance and chains included.

const jst = (local: string) => Date.parse(`${local}+09:00`)
const MINUTE = 60_000

function gateOver(calendar: ServiceCalendar, windows: () => MaintenanceWindow[]): ServiceGate {
  const store = { listMaintenance: async () => windows() } as unknown as Store
  return new ServiceGate(store, calendar)
}

const window = (id: string, from: string, to: string): MaintenanceWindow => ({ id, startsAt: jst(from), endsAt: jst(to), note: id })

// March 2026: 1st and 3rd Mondays are the 2nd and 16th, 2nd and 4th Sundays the 8th and 22nd.
const MAINTENANCE: MaintenanceWindow[] = [
  window('mw_alone', '2026-03-04T13:00', '2026-03-04T14:30'),
  window('mw_touching', '2026-03-07T22:00', '2026-03-07T23:50'), // runs into SUNDAY_EVE
  window('mw_inside', '2026-03-16T03:00', '2026-03-16T03:30'), // inside MONDAY_NIGHT
  window('mw_across_midnight', '2026-03-18T23:30', '2026-03-19T00:30'),
  window('mw_long', '2026-03-24T10:00', '2026-03-27T10:00'), // chains past any one-day span
  window('mw_same_start', '2026-03-29T04:00', '2026-03-29T04:05'),
]

/** Every 7 minutes across the month, plus each closure's edges and the edges of a window ending at one. */
function instants(calendar: ServiceCalendar, from: number, to: number, windowsMs: number[]): number[] {
  const at: number[] = []
  for (let t = from; t < to; t += 7 * MINUTE) at.push(t)
  for (const c of closuresAround(calendar, from, to, MAINTENANCE)) {
    for (const edge of [c.start, c.end, ...windowsMs.map((w) => c.start - w)]) at.push(edge - 1, edge, edge + 1)
  }
  return at.filter((t) => t >= from && t < to).sort((a, b) => a - b)
}

describe('service gate — cached closures agree with the pure R12 functions', () => {
  const from = jst('2026-02-28T00:00')
  const to = jst('2026-04-02T00:00')
  const windowsMs = [120_000, 3_600_000]

  for (const [name, calendar, since] of [
    ['the seed calendar, every 7 minutes of a month', SEED_CALENDAR, from],
    // A late rule touching the daily midnight one: closures chain across the day boundary.
    ['a calendar whose closures chain across midnight, every 7 minutes of half a month', {
      rules: [...SEED_CALENDAR.rules, { reason: 'DAILY_0400' as const, kind: 'daily' as const, start: '22:00', end: '24:00' }],
    }, jst('2026-03-14T00:00')],
  ] as const) {
    it(`check and statusAt — ${name} and each closure's edges, with maintenance windows`, async () => {
      const gate = gateOver(calendar, () => MAINTENANCE)
      const all = instants(calendar, since, to, windowsMs)
      for (const [i, now] of all.entries()) {
        const windowMs = windowsMs[i % windowsMs.length]!
        const status = serviceStatusAt(calendar, now, MAINTENANCE)
        const closing = status.open ? closureStartingWithin(calendar, now, windowMs, MAINTENANCE) : status
        const when = new Date(now).toISOString()
        expect(await gate.check(now), when).toEqual(status)
        expect(await gate.check(now, windowMs), `${when} window ${windowMs}`).toEqual(closing)
        expect(await gate.statusAt(now), `statusAt ${when}`).toEqual(status)
        // Instants the span may hold or not (/v1/service-status?at=).
        const at = now + [-30, 20, 50][i % 3]! * 3_600_000
        expect(await gate.statusAt(at), `statusAt ${new Date(at).toISOString()}`).toEqual(serviceStatusAt(calendar, at, MAINTENANCE))
      }
    })
  }

  it('check — sees a new maintenance window once the gate forgets the old list, and a calendar whose rules change', async () => {
    let windows: MaintenanceWindow[] = []
    let rules: ServiceCalendar['rules'] = SEED_CALENDAR.rules
    const calendar: ServiceCalendar = { get rules() { return rules } }
    const gate = gateOver(calendar, () => windows)
    const noon = jst('2026-03-10T12:00')
    expect(await gate.check(noon, 120_000)).toEqual({ open: true })
    windows = [window('mw_now', '2026-03-10T11:00', '2026-03-10T13:00')]
    gate.forget()
    expect(await gate.check(noon, 120_000)).toEqual({ open: false, reason: 'MAINTENANCE', until: jst('2026-03-10T13:00') })
    windows = []
    gate.forget()
    expect(await gate.check(noon - MINUTE, 120_000)).toEqual({ open: true })
    rules = [{ reason: 'DAILY_0400', kind: 'daily', start: '12:00', end: '12:10' }]
    expect(await gate.check(noon - MINUTE, 120_000)).toEqual({ open: false, reason: 'DAILY_0400', until: jst('2026-03-10T12:10') })
    expect(await gate.statusAt(noon)).toEqual({ open: false, reason: 'DAILY_0400', until: jst('2026-03-10T12:10') })
  })
})
