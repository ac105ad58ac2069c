import { describe, expect, it } from 'vitest'
import { benchWindow } from '../../scripts/bench/api.js'
import { SEED_CALENDAR } from '../../src/domain/calendar.js'

// npm run bench opens verifications with a long window (nothing it polls expires mid-row), and
// R12 refuses a create whose window a closure would cut: the window ends before the seed
// calendar's next closure with a run's length (15 min) to spare, or the bench says when to run.
// 2026-12-03 is a Thursday; Japan is UTC+9, so 00:00 Japan is 15:00 UTC the day before.
const at = (iso: string) => Date.parse(iso)

describe('benchWindow (seed calendar)', () => {
  it('an hour when no closure comes within an hour and a run', () => {
    expect(benchWindow(SEED_CALENDAR, at('2026-12-03T06:00:00Z'))).toEqual({ seconds: 3600 })
  })

  it('shorter when the daily 00:00 closure comes within the hour: it ends a run before it', () => {
    // 23:02 Japan: 58 min to 00:00, less 15 min.
    expect(benchWindow(SEED_CALENDAR, at('2026-12-03T14:02:00Z'))).toEqual({ seconds: 43 * 60 })
    // 03:30 Japan: 30 min to the 04:00 closure, less 15.
    expect(benchWindow(SEED_CALENDAR, at('2026-12-03T18:30:00Z'))).toEqual({ seconds: 15 * 60 })
  })

  it('refuses, naming the closure and when to run, when it comes too soon for a run', () => {
    const window = benchWindow(SEED_CALENDAR, at('2026-12-03T14:50:00Z'))
    expect(window).toEqual({
      refusal: 'the service calendar (R12) closes at 15:00 UTC (00:00 Japan) (DAILY_MIDNIGHT), too soon for a run to finish first ' +
        '(creates whose window it would cut are refused): run the bench after 15:01 UTC (00:01 Japan)',
    })
  })

  it('refuses while closed, naming the reason and the reopening', () => {
    expect(benchWindow(SEED_CALENDAR, at('2026-12-03T19:02:00Z'))).toEqual({
      refusal: 'the service calendar (R12) is closed now (DAILY_0400) until 19:05 UTC (04:05 Japan): creates are refused, run the bench after it',
    })
  })

  it('a run before a chained closure is told the real reopening (Sunday eve 23:50 to 07:00, the 00:00 rule inside it)', () => {
    // The day before the 2nd Sunday of December 2026 (the 13th) is Saturday the 12th: 23:50 Japan = 14:50 UTC.
    const window = benchWindow(SEED_CALENDAR, at('2026-12-12T14:40:00Z'))
    expect('refusal' in window && window.refusal).toMatch(/^the service calendar \(R12\) closes at 14:50 UTC \(23:50 Japan\) \(SUNDAY_EVE\), .*run the bench after 22:00 UTC \(07:00 Japan\)$/)
  })
})
