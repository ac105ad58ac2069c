import { randomBytes, randomUUID } from 'node:crypto'
import type { Config } from '../config.js'
import { normalizeCaller } from '../domain/phone.js'
import { fixtureBody, loadCarrierFixture, type WebhookFixture } from './fixtures.js'
import { signerFor, type SignerKeys } from './sign.js'
import { newCallSid } from './twilio/simulate.js'

// `npm run simulate-call -- --carrier plivo …`: posts what a carrier would post for a call,
// built from its fixture under webhooks/<carrier>/ and signed with the service's own credentials
// (dev values by default), so the simulator and the contract suite speak each carrier's dialect.

export interface CarrierCallOptions {
  carrier: string
  /** E.164 or domestic digits; default the fixture's. */
  from?: string
  to?: string
  /** R5: the carrier's withheld form (its voice-withheld-anonymous fixture). */
  withheld?: boolean
  /** Default voice-matched (voice-withheld-anonymous when withheld). */
  fixture?: string
  /** Where the service listens. */
  url: string
  config: Config
  keys?: SignerKeys
}

export interface SimulatedCarrierCall {
  carrier: string
  fixture: string
  url: string
  callId: string
  status: number
  contentType: string | null
  body: string
  ms: number
}

/** Where each carrier puts the caller, the called number and the call id, and how it spells them. */
const FIELDS: Record<string, { from: string[]; to: string[]; id: string[]; newId: () => string; plus: boolean }> = {
  twilio: { from: ['From', 'Caller'], to: ['To', 'Called'], id: ['CallSid'], newId: newCallSid, plus: true },
  signalwire: { from: ['From', 'Caller'], to: ['To', 'Called'], id: ['CallSid'], newId: () => randomUUID(), plus: true },
  telnyx: { from: ['From'], to: ['To'], id: ['CallSid', 'CallSidLegacy'], newId: () => `v3:${randomBytes(30).toString('base64url')}`, plus: true },
  plivo: { from: ['From'], to: ['To'], id: ['CallUUID', 'ALegUUID'], newId: () => randomUUID(), plus: false },
  bandwidth: { from: ['from'], to: ['to'], id: ['callId'], newId: () => `c-${randomUUID()}`, plus: true },
}

function spelled(number: string, plus: boolean): string {
  const e164 = normalizeCaller(number) ?? number
  return plus ? e164 : e164.replace(/^\+/, '')
}

/** The fixture with a fresh call id and the given caller and called number. */
export function simulatedFixture(options: Omit<CarrierCallOptions, 'url' | 'config'>): { fixture: WebhookFixture; callId: string } {
  const fields = FIELDS[options.carrier]
  if (!fields) throw new Error(`unknown carrier "${options.carrier}"; known: ${Object.keys(FIELDS).join(', ')}`)
  const base = loadCarrierFixture(options.carrier, options.fixture ?? (options.withheld ? 'voice-withheld-anonymous' : 'voice-matched'))
  const callId = fields.newId()
  const body: Record<string, unknown> = { ...(base.json ?? base.params) }
  for (const k of fields.id) if (k in body) body[k] = callId
  if (options.from !== undefined && !options.withheld) for (const k of fields.from) body[k] = spelled(options.from, fields.plus)
  if (options.to !== undefined) for (const k of fields.to) body[k] = spelled(options.to, fields.plus)
  const fixture = base.json ? { ...base, json: body } : { ...base, params: body as WebhookFixture['params'] }
  return { fixture, callId }
}

export async function simulateCarrierCall(options: CarrierCallOptions): Promise<SimulatedCarrierCall> {
  const { fixture, callId } = simulatedFixture(options)
  const { body, contentType } = fixtureBody(fixture)
  const url = options.url.replace(/\/+$/, '') + fixture.path
  const headers = signerFor(options.carrier, options.config, options.keys)({ method: 'POST', url: options.config.publicBaseUrl + fixture.path, body, contentType }, Date.now())
  const started = performance.now()
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body })
  const text = await response.text()
  return {
    carrier: options.carrier, fixture: fixture.name, url, callId, status: response.status,
    contentType: response.headers.get('content-type'), body: text, ms: Math.round(performance.now() - started),
  }
}
