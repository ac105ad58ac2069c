import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../package.js'
import { encodeForm, type FormParams } from './form.js'

// The carrier contract fixtures under webhooks/<carrier>/: real-shaped requests, built from each
// carrier's documentation, and the answer each one is owed. Tests and scripts/simulate-call read
// the same files, so the simulator and the suite speak one carrier dialect.
// Unsigned: the carrier's signer (src/carriers/<name>/sign.ts) signs each one when it is sent.

export type FixtureOutcome =
  | 'verified' | 'unmatched' | 'unknown-number' | 'duplicate' | 'withheld' | 'malformed' | 'recorded' | 'answered' | 'fallback'

export interface WebhookFixture {
  /** The file name without .json, e.g. "voice-matched". */
  name: string
  carrier: string
  description: string
  /** /webhooks/<carrier>/<endpoint> */
  path: string
  /** State the case assumes: pending verifications, and fixtures posted first (a retry). */
  given?: {
    pending?: { phoneNumber: string; verificationNumber: string }[]
    before?: string[]
  }
  /** A form body (an array is a repeated key) … */
  params?: FormParams
  /** … or a JSON body (Bandwidth). */
  json?: Record<string, unknown>
  expect: {
    status: number
    /** null when the answer has no body (204). */
    contentType: string | null
    body: string
    outcome: FixtureOutcome
    /** Whether the answer waits RING_DELAY_MS (R6) or comes at once. */
    delayed: boolean
  }
}

export const WEBHOOKS_DIR = join(PACKAGE_ROOT, 'webhooks')
const NAME = /^[a-z0-9-]+$/

function dir(carrier: string): string {
  // Names come from CLI flags too: keep them inside the fixtures folder.
  if (!NAME.test(carrier)) throw new Error(`not a carrier name: ${JSON.stringify(carrier)}`)
  return join(WEBHOOKS_DIR, carrier)
}

/** Fixture names of a carrier, sorted: ["fallback", "status-busy", …]. */
export function listCarrierFixtures(carrier: string): string[] {
  const folder = dir(carrier)
  if (!existsSync(folder)) return []
  return readdirSync(folder).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort()
}

function isFixtureShape(value: unknown, carrier: string): value is Omit<WebhookFixture, 'name' | 'carrier'> {
  const v = value as Partial<WebhookFixture> | null
  return (
    typeof v === 'object' && v !== null &&
    typeof v.description === 'string' && typeof v.path === 'string' && v.path.startsWith(`/webhooks/${carrier}/`) &&
    ((typeof v.params === 'object' && v.params !== null) || (typeof v.json === 'object' && v.json !== null)) &&
    typeof v.expect === 'object' && v.expect !== null && typeof v.expect.status === 'number'
  )
}

/** One fixture of a carrier by name; throws on an unknown name or a malformed file. */
export function loadCarrierFixture(carrier: string, name: string): WebhookFixture {
  if (!NAME.test(name)) throw new Error(`not a fixture name: ${JSON.stringify(name)}`)
  const file = join(dir(carrier), `${name}.json`)
  if (!existsSync(file)) throw new Error(`no fixture "${name}" for ${carrier}; known: ${listCarrierFixtures(carrier).join(', ')}`)
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'))
  if (!isFixtureShape(parsed, carrier)) throw new Error(`${carrier} fixture "${name}" lacks description, path, params/json or expect`)
  return { name, carrier, ...parsed }
}

/** The fixture's body bytes and content type, as the carrier sends them. */
export function fixtureBody(f: Pick<WebhookFixture, 'params' | 'json'>): { body: string; contentType: string } {
  if (f.json) return { body: JSON.stringify(f.json), contentType: 'application/json' }
  return { body: encodeForm(f.params ?? {}), contentType: 'application/x-www-form-urlencoded' }
}
