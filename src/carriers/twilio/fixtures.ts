import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../package.js'
import type { TwilioParams } from './signature.js'

// The carrier contract fixtures under webhooks/twilio/: real-shaped Twilio requests and the
// answer each one is owed. Tests and scripts/simulate-call read the same files, so the
// simulator and the suite speak one carrier dialect (STYLE.md "Tests").

export type FixtureOutcome =
  | 'verified'
  | 'unmatched'
  | 'unknown-number'
  | 'duplicate'
  | 'withheld'
  | 'malformed'
  | 'recorded'
  | 'answered'
  | 'fallback'

export interface WebhookFixture {
  /** The file name without .json, e.g. "voice-matched". */
  name: string
  description: string
  path: '/webhooks/twilio/voice' | '/webhooks/twilio/status' | '/webhooks/twilio/fallback'
  /** State the case assumes: pending verifications, and fixtures posted first (a retry). */
  given?: {
    pending?: { phoneNumber: string; verificationNumber: string }[]
    before?: string[]
  }
  /** The form body; an array is a repeated key. */
  params: TwilioParams
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

export const FIXTURES_DIR = join(PACKAGE_ROOT, 'webhooks', 'twilio')

/** Fixture names, sorted: ["fallback", "status-busy", …, "voice-wrong-caller"]. */
export function listFixtures(): string[] {
  return readdirSync(FIXTURES_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort()
}

function isFixtureShape(value: unknown): value is Omit<WebhookFixture, 'name'> {
  const v = value as Partial<WebhookFixture> | null
  return (
    typeof v === 'object' && v !== null &&
    typeof v.description === 'string' && typeof v.path === 'string' && v.path.startsWith('/webhooks/twilio/') &&
    typeof v.params === 'object' && v.params !== null &&
    typeof v.expect === 'object' && v.expect !== null && typeof v.expect.status === 'number'
  )
}

/** One fixture by name ("voice-matched"); throws on an unknown name or a malformed file. */
export function loadFixture(name: string): WebhookFixture {
  // Names come from CLI flags too: keep them inside the fixtures folder.
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`not a fixture name: ${JSON.stringify(name)}`)
  const file = join(FIXTURES_DIR, `${name}.json`)
  if (!existsSync(file)) throw new Error(`no fixture "${name}"; known: ${listFixtures().join(', ')}`)
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'))
  if (!isFixtureShape(parsed)) throw new Error(`fixture "${name}" lacks description, path, params or expect`)
  return { name, ...parsed }
}
