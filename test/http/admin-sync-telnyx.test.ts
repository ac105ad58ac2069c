import { afterEach, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, bearer, buildTestApp, type TestApp } from '../support/app.js'
import { startFakeTelnyx, type FakeTelnyx } from '../support/fake-telnyx.js'

// POST /admin/numbers/sync?carrier=telnyx against a local fake of Telnyx's API v2: the TeXML
// application is pointed at this service and each Telnyx pool number at the application.

const BASE = 'https://callverify.example.com'
const APP_ID = '1293384261075731499'
const admin = bearer(ADMIN_TOKEN)

let t: TestApp | undefined
let fake: FakeTelnyx | undefined
afterEach(async () => {
  await t?.close()
  await fake?.close()
  t = fake = undefined
})

async function start(apiKey = 'KEY_fake_telnyx'): Promise<{ t: TestApp; fake: FakeTelnyx }> {
  fake = await startFakeTelnyx({
    apiKey: 'KEY_fake_telnyx',
    applications: [{ id: APP_ID, voiceUrl: 'https://old.example.com/texml', voiceMethod: 'get', voiceFallbackUrl: '', statusCallback: '', statusCallbackMethod: 'get' }],
    numbers: [
      { phoneNumber: '+81120000001', connectionId: 'another-connection' },
      { phoneNumber: '+81120000002', connectionId: APP_ID },
      { phoneNumber: '+815000000009' },
    ],
  })
  t = await buildTestApp('memory', {
    env: {
      TELNYX_API_KEY: apiKey, TELNYX_API_URL: fake.url, TELNYX_TEXML_APPLICATION_ID: APP_ID, PUBLIC_BASE_URL: BASE,
      POOL_NUMBERS: '+81120000001@telnyx,+81120000002@telnyx,+81120000003@telnyx,+81120000004',
    },
  })
  return { t, fake }
}

const sync = (app: TestApp, query: string) => app.app.inject({ method: 'POST', url: `/admin/numbers/sync?${query}`, headers: admin })

describe('POST /admin/numbers/sync?carrier=telnyx', () => {
  it('sync — points the TeXML application and the Telnyx pool numbers at this service; Twilio\'s numbers are not Telnyx\'s concern', async () => {
    const { t, fake } = await start()
    const dry = await sync(t, 'carrier=telnyx&dryRun=true')
    expect(dry.statusCode).toBe(200)
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0)
    const res = await sync(t, 'carrier=telnyx')
    expect(res.statusCode).toBe(200)
    const report = res.json()
    expect(report).toMatchObject({
      carrier: 'telnyx', dryRun: false, unchanged: ['+81120000002'], missingInAccount: ['+81120000003'], notInPool: ['+815000000009'],
      updated: [{ e164: '+81120000001', changes: [{ field: 'connectionId', from: 'another-connection', to: APP_ID }] }],
    })
    expect(report.application.changes.map((c: { field: string }) => c.field).sort()).toEqual(['statusCallback', 'statusCallbackMethod', 'voiceFallbackUrl', 'voiceMethod', 'voiceUrl'])
    expect(dry.json()).toMatchObject({ ...report, dryRun: true })
    expect(fake.applications[0]).toMatchObject({
      voiceUrl: `${BASE}/webhooks/telnyx/voice`, voiceMethod: 'post', voiceFallbackUrl: `${BASE}/webhooks/telnyx/fallback`, statusCallback: `${BASE}/webhooks/telnyx/status`,
    })
    expect(fake.numbers.find((n) => n.phoneNumber === '+81120000001')?.connectionId).toBe(APP_ID)
    expect(fake.requests.every((r) => r.authorized)).toBe(true)
    // A second run finds nothing to change.
    const again = (await sync(t, 'carrier=telnyx')).json()
    expect(again).toMatchObject({ updated: [], application: { changes: [] }, unchanged: ['+81120000001', '+81120000002'] })
    const audit = (await t.app.inject({ method: 'GET', url: '/admin/audit', headers: admin })).json()
    expect(audit.entries.filter((e: { action: string }) => e.action === 'numbers.sync')).toHaveLength(2)
  })

  it('sync — a wrong API key is 502 CARRIER_UNAVAILABLE with a hint; unset credentials are 400', async () => {
    const wrong = (await start('KEY_wrong')).t
    const res = await sync(wrong, 'carrier=telnyx')
    expect(res.statusCode).toBe(502)
    expect(res.json().error).toMatchObject({ code: 'CARRIER_UNAVAILABLE', carrierStatus: 401 })
    expect(res.json().error.message).toContain('TELNYX_API_KEY')
    await wrong.close()
    t = await buildTestApp('memory', { env: { POOL_NUMBERS: '+81120000001@telnyx' } })
    expect((await sync(t, 'carrier=telnyx')).statusCode).toBe(400)
  })

  it('sync — for a carrier without sync here, says it is manual and names the URLs to set', async () => {
    const { t } = await start()
    await t.store.addNumber({ e164: '+81120000005', carrier: 'plivo' })
    const res = await sync(t, 'carrier=plivo')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      carrier: 'plivo', manual: true, dryRun: true, toSetByHand: ['+81120000005'],
      target: { voice: `${BASE}/webhooks/plivo/voice`, status: `${BASE}/webhooks/plivo/status`, fallback: `${BASE}/webhooks/plivo/fallback` },
    })
  })
})
