import { describe, expect, it } from 'vitest'
import { isoTime } from '../../src/domain/present.js'

// isoTime is Date#toISOString made fast for a verification's times (domain/present.ts): the two
// must never differ, whatever order the times come in (its day cache is one entry).
describe('isoTime', () => {
  it('equals toISOString for random times from 1970 to 2096, in any order', () => {
    for (let i = 0; i < 200_000; i++) {
      const ms = Math.floor(Math.random() * 4_000_000_000_000)
      expect(isoTime(ms)).toBe(new Date(ms).toISOString())
    }
  })

  it('equals toISOString at the edges: midnights, leap days, the ends of the range and what is outside it', () => {
    const edges = [
      0, 1, 86_399_999, 86_400_000, Date.UTC(2028, 1, 29, 23, 59, 59, 999), Date.UTC(2028, 2, 1), Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1), 253_402_300_799_999, 253_402_300_800_000, -1, -86_400_001, 1_796_190_491_452.5,
    ]
    for (const ms of [...edges, ...edges.reverse()]) expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString())
    // A window across midnight alternates between two days.
    const before = Date.UTC(2026, 11, 1, 23, 59, 0)
    for (let i = 0; i < 10; i++) {
      const ms = before + (i % 2) * 120_000 + i
      expect(isoTime(ms)).toBe(new Date(ms).toISOString())
    }
  })
})
