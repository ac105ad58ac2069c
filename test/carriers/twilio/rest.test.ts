import { afterEach, describe, expect, it } from 'vitest'
import {
  createTwilioRestClient,
  planSync,
  targetRouting,
  TwilioRestError,
  type IncomingNumber,
} from '../../../src/carriers/twilio/rest.js'
import { startFakeTwilio, type FakeTwilio } from '../../support/fake-twilio.js'

const accountSid = `AC${'1'.repeat(32)}`
const authToken = 'fake-auth-token'
const base = 'https://callverify.example.com'
const pool = ['+81120000001', '+81120000002', '+81120000003']

let fake: FakeTwilio | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

async function start(): Promise<FakeTwilio> {
  fake = await startFakeTwilio({
    accountSid,
    authToken,
    numbers: [
      { phoneNumber: '+81120000001', voiceUrl: 'https://old.example.com/voice' },
      { phoneNumber: '+81120000002', ...pick(targetRouting(base)) },
      { phoneNumber: '+81120000003', voiceApplicationSid: `AP${'a'.repeat(32)}` },
      { phoneNumber: '+815000000001' },
      { phoneNumber: '+815000000002' },
    ],
  })
  return fake
}

function pick(routing: ReturnType<typeof targetRouting>) {
  const { voiceApplicationSid: _ignored, ...fields } = routing
  return fields
}

describe('Twilio REST client against the fake', () => {
  it('list — reads every page by following next_page_uri', async () => {
    const twilio = await start()
    const client = createTwilioRestClient({ accountSid, authToken, apiUrl: `${twilio.url}/`, pageSize: 2 })
    const numbers = await client.listIncomingNumbers()
    expect(numbers.map((n) => n.phoneNumber)).toEqual(twilio.numbers.map((n) => n.phoneNumber))
    expect(numbers[0]).toMatchObject({ voiceUrl: 'https://old.example.com/voice', voiceMethod: 'POST', statusCallback: '' })
    const gets = twilio.requests.filter((r) => r.method === 'GET')
    expect(gets).toHaveLength(3)
    expect(gets.every((r) => r.authorized)).toBe(true)
    expect(gets[2]?.query).toMatchObject({ PageSize: '2', Page: '2', PageToken: `PA${twilio.numbers[3]?.sid}` })
  })

  it('update — posts the routing as a form and returns the number as Twilio now has it', async () => {
    const twilio = await start()
    const client = createTwilioRestClient({ accountSid, authToken, apiUrl: twilio.url })
    const target = twilio.numbers[0]!
    const updated = await client.updateIncomingNumber(target.sid, { ...targetRouting(base), voiceApplicationSid: '' })
    expect(updated).toMatchObject({ sid: target.sid, voiceUrl: `${base}/webhooks/twilio/voice`, voiceFallbackUrl: `${base}/webhooks/twilio/fallback` })
    expect(twilio.requests.at(-1)?.form).toEqual({
      VoiceUrl: `${base}/webhooks/twilio/voice`, VoiceMethod: 'POST',
      VoiceFallbackUrl: `${base}/webhooks/twilio/fallback`, VoiceFallbackMethod: 'POST',
      StatusCallback: `${base}/webhooks/twilio/status`, StatusCallbackMethod: 'POST', VoiceApplicationSid: '',
    })
    expect(target.statusCallback).toBe(`${base}/webhooks/twilio/status`)
  })

  it('auth — a wrong auth token is refused with 401 and surfaces as TwilioRestError without the token', async () => {
    const twilio = await start()
    const client = createTwilioRestClient({ accountSid, authToken: 'wrong-token', apiUrl: twilio.url })
    const error = await client.listIncomingNumbers().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TwilioRestError)
    expect(error).toMatchObject({ status: 401, code: 20003 })
    expect(String((error as Error).message)).not.toContain('wrong-token')
    expect(twilio.requests.at(-1)?.authorized).toBe(false)
  })

  it('update — an unknown number surfaces as a 404 TwilioRestError', async () => {
    const twilio = await start()
    const client = createTwilioRestClient({ accountSid, authToken, apiUrl: twilio.url })
    await expect(client.updateIncomingNumber(`PN${'0'.repeat(32)}`, targetRouting(base))).rejects.toMatchObject({ status: 404, code: 20404 })
  })

  it('network — an unreachable API surfaces as a TwilioRestError with no status', async () => {
    const twilio = await start()
    await twilio.close()
    fake = undefined
    const client = createTwilioRestClient({ accountSid, authToken, apiUrl: twilio.url, timeoutMs: 2_000 })
    await expect(client.listIncomingNumbers()).rejects.toMatchObject({ name: 'TwilioRestError', status: null })
  })

  it('sync — after applying the plan, a second plan changes nothing', async () => {
    const twilio = await start()
    const client = createTwilioRestClient({ accountSid, authToken, apiUrl: twilio.url })
    const plan = planSync(pool, await client.listIncomingNumbers(), base)
    expect(plan.update.map((u) => u.phoneNumber)).toEqual(['+81120000001', '+81120000003'])
    for (const u of plan.update) await client.updateIncomingNumber(u.sid, u.routing)
    const again = planSync(pool, await client.listIncomingNumbers(), base)
    expect(again.update).toEqual([])
    expect(again.unchanged.map((u) => u.phoneNumber)).toEqual(pool)
  })
})

function incoming(phoneNumber: string, overrides: Partial<IncomingNumber> = {}): IncomingNumber {
  return {
    sid: `PN${phoneNumber.replace(/\D/g, '').padStart(32, '0')}`, phoneNumber, voiceUrl: '', voiceMethod: 'POST',
    voiceFallbackUrl: '', voiceFallbackMethod: 'POST', statusCallback: '', statusCallbackMethod: 'POST',
    voiceApplicationSid: '', trunkSid: '', ...overrides,
  }
}

describe('planSync', () => {
  const target = targetRouting(base)
  const configured = (n: string, o: Partial<IncomingNumber> = {}) => incoming(n, { ...pick(target), ...o })

  it('plan — points the three URLs at PUBLIC_BASE_URL (a trailing slash ignored)', () => {
    expect(targetRouting(`${base}/`)).toEqual({
      voiceUrl: `${base}/webhooks/twilio/voice`, voiceMethod: 'POST',
      voiceFallbackUrl: `${base}/webhooks/twilio/fallback`, voiceFallbackMethod: 'POST',
      statusCallback: `${base}/webhooks/twilio/status`, statusCallbackMethod: 'POST',
    })
  })

  it('plan — lists each differing field with its old and new value', () => {
    const plan = planSync(['+81120000001'], [incoming('+81120000001', { voiceUrl: 'https://old.example.com/v', voiceMethod: 'GET' })], base)
    expect(plan.update[0]?.changes).toEqual([
      { field: 'voiceUrl', from: 'https://old.example.com/v', to: target.voiceUrl },
      { field: 'voiceMethod', from: 'GET', to: 'POST' },
      { field: 'voiceFallbackUrl', from: '', to: target.voiceFallbackUrl },
      { field: 'statusCallback', from: '', to: target.statusCallback },
    ])
    expect(plan.update[0]?.routing).toEqual(target)
  })

  it('plan — a correctly pointed number is unchanged, even with a lower-case method', () => {
    const plan = planSync(['+81120000001'], [configured('+81120000001', { voiceMethod: 'post' })], base)
    expect(plan.update).toEqual([])
    expect(plan.unchanged).toEqual([{ sid: configured('+81120000001').sid, phoneNumber: '+81120000001' }])
  })

  it('plan — detaches a TwiML application, which would otherwise override the voice URL', () => {
    const plan = planSync(['+81120000001'], [configured('+81120000001', { voiceApplicationSid: `AP${'b'.repeat(32)}` })], base)
    expect(plan.update[0]?.changes).toEqual([{ field: 'voiceApplicationSid', from: `AP${'b'.repeat(32)}`, to: '' }])
    expect(plan.update[0]?.routing.voiceApplicationSid).toBe('')
  })

  it('plan — reports numbers missing on either side and leaves trunked numbers alone', () => {
    const plan = planSync(
      ['+81120000001', '+81120000002', '+81120000003'],
      [configured('+81120000001'), incoming('+81120000003', { trunkSid: `TK${'c'.repeat(32)}` }), incoming('+815000000001')],
      base,
    )
    expect(plan).toMatchObject({
      update: [],
      missingInAccount: ['+81120000002'],
      notInPool: ['+815000000001'],
      onTrunk: ['+81120000003'],
    })
  })
})
