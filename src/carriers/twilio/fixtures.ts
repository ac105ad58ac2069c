import { listCarrierFixtures, loadCarrierFixture, WEBHOOKS_DIR, type WebhookFixture as CarrierFixture } from '../fixtures.js'
import { join } from 'node:path'
import type { TwilioParams } from './signature.js'

// Twilio's fixtures under webhooks/twilio/ (the shape is src/carriers/fixtures.ts'): every one is a form.

export type { FixtureOutcome } from '../fixtures.js'
export interface WebhookFixture extends CarrierFixture {
  params: TwilioParams
}

export const FIXTURES_DIR = join(WEBHOOKS_DIR, 'twilio')

/** Fixture names, sorted: ["fallback", "status-busy", …, "voice-wrong-caller"]. */
export function listFixtures(): string[] {
  return listCarrierFixtures('twilio')
}

/** One fixture by name ("voice-matched"); throws on an unknown name or a malformed file. */
export function loadFixture(name: string): WebhookFixture {
  const fixture = loadCarrierFixture('twilio', name)
  if (!fixture.params) throw new Error(`twilio fixture "${name}" has no form params`)
  return fixture as WebhookFixture
}
