import { readFileSync } from 'node:fs'
import type { ServiceCalendar } from '../domain/calendar.js'
import { parseServiceCalendar } from '../domain/calendar-file.js'
import { ConfigError } from './env.js'

/** R12: the SERVICE_CALENDAR file, read and checked at start; a bad one names the file and the field. */
export function loadServiceCalendar(file: string): ServiceCalendar {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigError([`SERVICE_CALENDAR: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`])
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new ConfigError([`SERVICE_CALENDAR ${file} is not JSON: ${(error as Error).message}`])
  }
  try {
    return parseServiceCalendar(json)
  } catch (error) {
    // parseServiceCalendar names the field: "service calendar: rules[1].start must be …"
    throw new ConfigError([`SERVICE_CALENDAR ${file}: ${(error as Error).message}`])
  }
}
