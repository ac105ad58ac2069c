import { DateTime } from 'luxon'

export const JAPAN_ZONE = 'Asia/Tokyo'

// The day last asked for, with its bounds: nearly every call falls in it, and luxon's zone
// arithmetic was a twentieth of a held call's CPU on the memory store (npm run bench).
let lastDay = { from: 0, until: 0, day: '' }

/** R11: the Japan day a moment falls in, as yyyy-MM-dd (the day lock counts failures per day). */
export function japanDay(ms: number): string {
  if (ms >= lastDay.from && ms < lastDay.until) return lastDay.day
  const start = DateTime.fromMillis(ms, { zone: JAPAN_ZONE }).startOf('day')
  lastDay = { from: start.toMillis(), until: start.plus({ days: 1 }).toMillis(), day: start.toISODate() as string }
  return lastDay.day
}

/** A day in ms: Japan keeps no daylight saving (JAPAN_OFFSET_MS below), so every Japan day is this long. */
export const HOUR_MS = 3_600_000
export const DAY_MS = 86_400_000

/**
 * R11: the Japan day of a moment as a whole number (days since 1970-01-01 in Japan): how the
 * stores key the day's counters, and what the Lua scripts' japan_day computes.
 */
export function japanDayNumber(ms: number): number {
  return Math.floor((ms + JAPAN_OFFSET_MS) / DAY_MS)
}

/** The moment a Japan day number begins: 00:00 Asia/Tokyo. */
export function japanDayStart(day: number): number {
  return day * DAY_MS - JAPAN_OFFSET_MS
}

/** R11: the lock lifts at 00:00 the next day, Japan time. */
export function nextJapanMidnight(ms: number): number {
  return DateTime.fromMillis(ms, { zone: JAPAN_ZONE }).startOf('day').plus({ days: 1 }).toMillis()
}

// Japan has kept UTC+9 without daylight saving since 1951; the Lua scripts, which have no
// time-zone data, use this offset, and a test holds them to the luxon functions above.
export const JAPAN_OFFSET_MS = 9 * 3600 * 1000
