import { afterEach, describe, expect, it } from 'vitest'
import { createTwilioRestClient, targetRouting } from '../../src/carriers/twilio/rest.js'
import { ADMIN_TOKEN, bearer, buildTestApp, type TestApp } from '../support/app.js'
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio.js'

// POST /admin/numbers/sync against the local fake of Twilio's REST API, which checks basic
// auth and the form fields. The route's store use is plain listNumbers: memory is enough.

const accountSid = `AC${'1'.repeat(32)}`
const authToken = 'fake-auth-token'
const BASE = 'https://callverify.example.com'
const admin = bearer(ADMIN_TOKEN)

let t: TestApp | undefined
let fake: FakeTwilio | undefined
afterEach(async () => {
  await t?.close()
  await fake?.close()
  t = fake = undefined
})

async function start(token = authToken): Promise<{ t: TestApp; fake: FakeTwilio }> {
  const { voiceApplicationSid: _none, ...routed } = targetRouting(BASE)
  fake = await startFakeTwilio({
    accountSid, authToken,
    numbers: [
      { phoneNumber: '+81120000001', voiceUrl: 'https://old.example.com/voice' },
      { phoneNumber: '+81120000002', ...routed },
      { phoneNumber: '+81120000003', ...routed, voiceApplicationSid: `AP${'a'.repeat(32)}` },
      { phoneNumber: '+81120000005', trunkSid: `TK${'b'.repeat(32)}` },
      { phoneNumber: '+815000000001' },
    ],
  })
  t = await buildTestApp('memory', {
    env: {
      TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: token, TWILIO_API_URL: fake.url, PUBLIC_BASE_URL: BASE,
      POOL_NUMBERS: '+81120000001,+81120000002,+81120000003,+81120000004,+81120000005,+81120000006',
    },
  })
  await t.store.updateNumber('+81120000006', { state: 'retired' })
  return { t, fake }
}

const sync = (app: TestApp, query = '') => app.app.inject({ method: 'POST', url: `/admin/numbers/sync${query}`, headers: admin })

describe('POST /admin/numbers/sync', () => {
  it('sync — points pool numbers at this service, reports missing and extra numbers, audits it', async () => {
    const { t, fake } = await start()
    const res = await sync(t)
    expect(res.statusCode).toBe(200)
    const report = res.json()
    expect(report).toMatchObject({
      dryRun: false, unchanged: ['+81120000002'], missingInAccount: ['+81120000004'],
      notInPool: ['+815000000001'], onTrunk: ['+81120000005'],
    })
    expect(report.updated.map((u: { e164: string }) => u.e164)).toEqual(['+81120000001', '+81120000003'])
    expect(report.updated[0].changes).toContainEqual({ field: 'voiceUrl', from: 'https://old.example.com/voice', to: `${BASE}/webhooks/twilio/voice` })
    expect(report.updated[1].changes).toEqual([{ field: 'voiceApplicationSid', from: `AP${'a'.repeat(32)}`, to: '' }])
    // The fake now routes them to us; every request carried the account's basic auth.
    expect(fake.numbers[0]).toMatchObject({ voiceUrl: `${BASE}/webhooks/twilio/voice`, voiceFallbackUrl: `${BASE}/webhooks/twilio/fallback`, statusCallback: `${BASE}/webhooks/twilio/status`, statusCallbackMethod: 'POST' })
    expect(fake.numbers[2]?.voiceApplicationSid).toBe('')
    expect(fake.requests.every((r) => r.authorized)).toBe(true)
    const posts = fake.requests.filter((r) => r.method === 'POST')
    expect(posts).toHaveLength(2)
    expect(posts[0]?.form).toMatchObject({ VoiceUrl: `${BASE}/webhooks/twilio/voice`, VoiceMethod: 'POST', StatusCallback: `${BASE}/webhooks/twilio/status` })
    const [entry] = await t.store.listAudit(1)
    expect(entry).toMatchObject({ actor: 'alice', action: 'numbers.sync', after: { updated: report.updated } })
    // Once synced, a second run changes nothing.
    expect((await sync(t)).json()).toMatchObject({ updated: [], unchanged: ['+81120000001', '+81120000002', '+81120000003'] })
  })

  it('sync ?dryRun=true — reports the same plan and changes nothing, at Twilio or in the audit log', async () => {
    const { t, fake } = await start()
    const report = (await sync(t, '?dryRun=true')).json()
    expect(report).toMatchObject({ dryRun: true, missingInAccount: ['+81120000004'] })
    expect(report.updated.map((u: { e164: string }) => u.e164)).toEqual(['+81120000001', '+81120000003'])
    expect(fake.requests.filter((r) => r.method === 'POST')).toEqual([])
    expect(fake.numbers[0]?.voiceUrl).toBe('https://old.example.com/voice')
    expect(await t.store.listAudit(10)).toEqual([])
  })

  it('sync — Twilio refusing the credentials → 502 CARRIER_UNAVAILABLE that says what to check', async () => {
    const { t } = await start('wrong-token')
    const res = await sync(t)
    expect(res.statusCode).toBe(502)
    expect(res.json().error).toMatchObject({ code: 'CARRIER_UNAVAILABLE', carrierStatus: 401, carrierCode: 20003, updated: [] })
    expect(res.json().error.message).toContain('TWILIO_AUTH_TOKEN')
    expect(res.body).not.toContain('wrong-token')
  })

  it('sync — Twilio unreachable → 502 CARRIER_UNAVAILABLE', async () => {
    const { t, fake: stopped } = await start()
    await stopped.close()
    fake = undefined
    const res = await sync(t)
    expect(res.statusCode).toBe(502)
    expect(res.json().error).toMatchObject({ code: 'CARRIER_UNAVAILABLE', carrierStatus: null })
    expect(res.json().error.message).toContain('TWILIO_API_URL')
  })

  it('sync — uses the Twilio client buildApp was given (AppDeps.carrierClients), one for every sync', async () => {
    fake = await startFakeTwilio({ accountSid, authToken, numbers: [{ phoneNumber: '+81120000001', voiceUrl: 'https://old.example.com/voice' }] })
    const twilio = createTwilioRestClient({ accountSid, authToken, apiUrl: fake.url })
    // The config points nowhere: only the client handed in reaches the fake.
    t = await buildTestApp('memory', {
      env: { TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, TWILIO_API_URL: 'http://127.0.0.1:9', PUBLIC_BASE_URL: BASE, POOL_NUMBERS: '+81120000001' },
      deps: { carrierClients: { twilio } },
    })
    expect(t.app.carrierClients.twilio()).toBe(twilio)
    const res = await sync(t)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().updated.map((u: { e164: string }) => u.e164)).toEqual(['+81120000001'])
    expect(fake.numbers[0]?.voiceUrl).toBe(`${BASE}/webhooks/twilio/voice`)
  })
})
