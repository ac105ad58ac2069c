import { afterEach, describe, expect, it } from 'vitest'
import { DEMO_TENANT, loadConfig } from '../../../src/config.js'
import { bearer, buildTestApp, type TestApp } from '../../support/app.js'
import { PRODUCTION_ENV } from '../../support/production.js'

// Issue 14 item 1: the demo is an unauthenticated proxy to /v1, so it is dev only, speaks as a
// tenant of its own, and no route but the carrier's webhooks parses a form body (a cross-site
// HTML form can post urlencoded without a CORS preflight).

const BANK_KEY = 'bank-key-0123456789abcdef0123456789'
const form = { 'content-type': 'application/x-www-form-urlencoded' }

describe('demo (issue 14 item 1)', () => {
  let t: TestApp | undefined
  afterEach(async () => t?.close())

  it('config — production refuses DEMO=1, naming it', () => {
    expect(() => loadConfig({ ...PRODUCTION_ENV, DEMO: '1' })).toThrow(/DEMO=1 is refused in production/)
    expect(loadConfig(PRODUCTION_ENV).demo).toBe(false)
  })

  it('demo — opens its verifications as its own tenant, never with the first bank\'s key', async () => {
    t = await buildTestApp('memory', { env: { API_KEYS: `bank:${BANK_KEY}` } })
    expect(t.config.apiKeys.map((k) => k.tenant)).toEqual(['bank', DEMO_TENANT])
    const started = await t.app.inject({ method: 'POST', url: '/demo/api/start', payload: { phoneNumber: '09012345678' } })
    expect(started.statusCode).toBe(201)
    // The bank's key does not see it: it is another tenant's verification.
    const asBank = await t.app.inject({ url: `/v1/verifications/${started.json().id}`, headers: bearer(BANK_KEY) })
    expect(asBank.statusCode).toBe(404)
    // A new bank verification for the same number is not superseded by the demo, nor supersedes it.
    const own = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(BANK_KEY), payload: { phoneNumber: '09012345678' } })
    expect(own.statusCode).toBe(201)
    expect((await t.app.inject({ url: `/v1/verifications/${own.json().id}`, headers: bearer(BANK_KEY) })).json().status).toBe('pending')
  })

  it('demo — a cross-site HTML form cannot start a verification: form bodies are refused (415)', async () => {
    t = await buildTestApp('memory')
    const res = await t.app.inject({ method: 'POST', url: '/demo/api/start', headers: form, payload: 'phoneNumber=09012345678' })
    expect(res.statusCode).toBe(415)
    expect(res.json().error.code).toBe('INVALID_REQUEST')
    expect((await t.store.listNumbers()).every((n) => n.pending === 0)).toBe(true)
  })

  it('v1 — a form body is refused on every route but the carrier webhooks (415)', async () => {
    t = await buildTestApp('memory')
    const res = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: { ...form, ...bearer('dev-api-key') }, payload: 'phoneNumber=09012345678' })
    expect(res.statusCode).toBe(415)
    const admin = await t.app.inject({ method: 'POST', url: '/admin/numbers', headers: { ...form, ...bearer('dev-admin-token') }, payload: 'e164=%2B81120000009' })
    expect(admin.statusCode).toBe(415)
    // The carrier's webhook still parses its form (it answers 403 here: the form has no signature).
    const webhook = await t.app.inject({ method: 'POST', url: '/webhooks/twilio/voice', headers: form, payload: 'CallSid=CA1' })
    expect(webhook.statusCode).toBe(403)
  })
})
