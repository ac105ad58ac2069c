import type { LightMyRequestResponse } from 'fastify'
import { loadFixture, type WebhookFixture } from '../../src/carriers/twilio/fixtures.js'
import { signTwilioRequest, type TwilioParams } from '../../src/carriers/twilio/signature.js'
import { API_KEY, bearer, buildTestApp, type StoreKind, type TestApp, type TestAppOptions } from './app.js'

// Carrier webhooks in tests: fixtures posted as Twilio posts them, signed with the app's own
// auth token against its PUBLIC_BASE_URL, with the `given` state set up through the real API.

/** A Wednesday 12:00 Japan time: no closure of the seed calendar (R12) is near. */
export const OPEN_AT = Date.parse('2025-06-04T03:00:00Z')

/** The form body Twilio sends; a repeated key is sent once per value. */
export function formBody(params: TwilioParams): string {
  const form = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) for (const v of Array.isArray(value) ? value : [value]) form.append(key, v)
  return form.toString()
}

export interface PostOptions {
  /** Default: signed correctly for the app's PUBLIC_BASE_URL and auth token. */
  signature?: string | null
  headers?: Record<string, string>
  url?: string
}

/** Posts a form to the app the way Twilio does, and times the answer. */
export async function postSigned(t: TestApp, path: string, params: TwilioParams, options: PostOptions = {}): Promise<{ res: LightMyRequestResponse; ms: number }> {
  const url = options.url ?? path
  const signature = options.signature === undefined ? signTwilioRequest(t.config.twilio.authToken, t.config.publicBaseUrl + url, params) : options.signature
  const started = performance.now()
  const res = await t.app.inject({
    method: 'POST', url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === null ? {} : { 'x-twilio-signature': signature }), ...options.headers },
    payload: formBody(params),
  })
  return { res, ms: performance.now() - started }
}

export function postFixture(t: TestApp, fixture: WebhookFixture | string, options: PostOptions = {}) {
  const f = typeof fixture === 'string' ? loadFixture(fixture) : fixture
  return postSigned(t, f.path, f.params, options)
}

/** The pool a fixture assumes: its given verification numbers only, so that R2's random pick is known. */
export function poolFor(fixture: WebhookFixture): string {
  const numbers = new Set((fixture.given?.pending ?? []).map((p) => p.verificationNumber))
  return numbers.size > 0 ? [...numbers].join(',') : '+81120000001'
}

/** An app on `kind` set up for a fixture, with the clock inside service hours. */
export async function buildWebhookApp(kind: StoreKind, env: Record<string, string>, options: TestAppOptions = {}): Promise<TestApp> {
  return buildTestApp(kind, {
    ...options,
    env: { RING_DELAY_MS: '300', ...env },
    ...(kind === 'memory' ? { startAt: OPEN_AT } : { deps: { clock: () => OPEN_AT, ...options.deps } }),
  })
}

/** Opens a verification through /v1 and checks it got the number the fixture expects. */
export async function openVerification(t: TestApp, phoneNumber: string, verificationNumber?: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber } })
  if (res.statusCode !== 201) throw new Error(`create answered ${res.statusCode}: ${res.body}`)
  const body = res.json() as { id: string; verificationNumber: { e164: string } }
  if (verificationNumber && body.verificationNumber.e164 !== verificationNumber) {
    throw new Error(`expected ${verificationNumber}, got ${body.verificationNumber.e164}`)
  }
  return body.id
}

/** The `given` state: pending verifications opened, earlier fixtures posted. Returns the ids. */
export async function setUpGiven(t: TestApp, fixture: WebhookFixture): Promise<string[]> {
  const ids: string[] = []
  for (const p of fixture.given?.pending ?? []) ids.push(await openVerification(t, p.phoneNumber, p.verificationNumber))
  for (const name of fixture.given?.before ?? []) {
    const { res } = await postFixture(t, name)
    if (res.statusCode >= 300) throw new Error(`given fixture ${name} answered ${res.statusCode}`)
  }
  return ids
}

export async function getVerification(t: TestApp, id: string): Promise<{ status: string; calls: number }> {
  const res = await t.app.inject({ method: 'GET', url: `/v1/verifications/${id}`, headers: bearer(API_KEY) })
  if (res.statusCode !== 200) throw new Error(`GET answered ${res.statusCode}: ${res.body}`)
  return res.json()
}

/** calls{kind} as the metrics endpoint would report it. */
export async function callsOfKind(t: TestApp, kind: string): Promise<number> {
  const metric = await t.app.metrics.calls.get()
  return metric.values.find((v) => v.labels.kind === kind)?.value ?? 0
}
