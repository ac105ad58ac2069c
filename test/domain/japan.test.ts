import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { japanDay, nextJapanMidnight } from '../../src/domain/japan.js'

// R11 counts failures per Japan day. japanDay remembers the last day it computed: these cases
// move across midnights both ways and land on the edges, against luxon asked afresh.
const fresh = (ms: number) => DateTime.fromMillis(ms, { zone: 'Asia/Tokyo' }).toISODate()

describe('japan time (R11)', () => {
  it('japanDay — the Japan date, across midnights forwards and backwards and on their edges', () => {
    const midnight = DateTime.fromISO('2026-11-26T00:00:00', { zone: 'Asia/Tokyo' }).toMillis()
    const moments = [
      midnight - 1, midnight, midnight + 1, midnight - 1, midnight - 86_400_000, midnight - 86_400_001,
      midnight + 86_400_000 - 1, midnight + 86_400_000, midnight + 3_600_000, Date.UTC(2026, 11, 31, 15, 0, 0), Date.UTC(2026, 11, 31, 14, 59, 59, 999),
    ]
    expect(moments.map(japanDay)).toEqual(moments.map(fresh))
    expect(japanDay(midnight - 1)).toBe('2026-11-25')
    expect(japanDay(midnight)).toBe('2026-11-26')
    expect(japanDay(Date.UTC(2026, 11, 31, 15, 0, 0))).toBe('2027-01-01')
  })

  it('nextJapanMidnight — 00:00 Japan time after the moment', () => {
    const midnight = DateTime.fromISO('2026-11-26T00:00:00', { zone: 'Asia/Tokyo' }).toMillis()
    expect(nextJapanMidnight(midnight - 1)).toBe(midnight)
    expect(nextJapanMidnight(midnight)).toBe(midnight + 86_400_000)
  })
})
