import { CARRIERS, DEFAULT_CARRIER, splitPoolEntry } from '../domain/carrier.js'
import { normalizePoolNumber } from '../domain/phone.js'
import { list } from './env.js'
import type { Config } from './types.js'

/** POOL_NUMBERS: E.164 numbers, comma separated, each with an optional `@carrier` (default twilio). */
export function parsePool(raw: string, problems: string[]): Config['pool'] {
  return list(raw).map((entry) => {
    const { number, carrier } = splitPoolEntry(entry)
    const e164 = normalizePoolNumber(number)
    if (!e164) problems.push(`POOL_NUMBERS: "${number}" is not a valid E.164 number`)
    if (!carrier) problems.push(`POOL_NUMBERS: "${entry}" names no known carrier (${CARRIERS.join(', ')})`)
    return { e164: e164 ?? number, carrier: carrier ?? DEFAULT_CARRIER }
  })
}
