import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { loadFixture } from '../../src/carriers/twilio/fixtures.js'
import { simulatedParams } from '../../src/carriers/twilio/simulate.js'
import { REJECT_BUSY_TWIML } from '../../src/carriers/twilio/twiml.js'
import { STORE_KINDS, type TestApp } from '../support/app.js'
import { buildWebhookApp, getVerification, openVerification } from '../support/twilio.js'

// `npm run simulate-call` as a real process against a real listener: the simulator signs for
// PUBLIC_BASE_URL, which need not be where it posts (a proxy in front, or a tunnel).

const run = promisify(execFile)
const PUBLIC = 'https://callverify.example.com'
// Long enough that "at once" is clearly below it on a loaded machine.
const DELAY = 1000

async function simulate(url: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/simulate-call.ts', '--url', url, ...args], {
      env: { ...process.env, PUBLIC_BASE_URL: PUBLIC, TWILIO_AUTH_TOKEN: 'dev-auth-token', ...env },
    })
    return { code: 0, stdout }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout + e.stderr }
  }
}

describe('simulatedParams', () => {
  it('simulate — replaces From/To and their twins, sends E.164 as Twilio does, and a fresh CallSid', () => {
    const fixture = loadFixture('voice-matched')
    const params = simulatedParams(fixture, { from: '08011112222', to: '+81120000002' }, 'CA' + 'f'.repeat(32))
    expect(params).toMatchObject({ From: '+818011112222', Caller: '+818011112222', To: '+81120000002', Called: '+81120000002', CallSid: 'CA' + 'f'.repeat(32) })
    expect(simulatedParams(fixture, { withheld: true, from: '08011112222' }, 'CA1')).toMatchObject({ From: 'anonymous', Caller: 'anonymous' })
    expect(Object.keys(params).sort()).toEqual(Object.keys(fixture.params).sort())
  })
})

for (const kind of STORE_KINDS) {
  describe(`simulate-call against a running app on the ${kind} store`, () => {
    let t: TestApp
    let url: string
    afterEach(async () => t?.close())

    async function start(carrier = 'twilio'): Promise<string> {
      t = await buildWebhookApp(kind, { RING_DELAY_MS: String(DELAY), PUBLIC_BASE_URL: PUBLIC, POOL_NUMBERS: `+81120000001@${carrier}` })
      await t.app.listen({ port: 0, host: '127.0.0.1' })
      url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
      return openVerification(t, '09012345678', '+81120000001')
    }

    it('simulate-call — the registered number calls: verified, prints 200, the TwiML and the time after the ring', async () => {
      const id = await start()
      const { code, stdout } = await simulate(url, ['--from', '09012345678', '--to', '+81120000001'])
      expect(code, stdout).toBe(0)
      const lines = stdout.trim().split('\n')
      expect(lines[0]).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/webhooks\/twilio\/voice \(voice-matched, CA[0-9a-f]{32}\)$/)
      const ms = Number(/^200 text\/xml in (\d+) ms$/.exec(lines[1] ?? '')?.[1])
      expect(ms).toBeGreaterThanOrEqual(DELAY)
      expect(lines[2]).toBe(REJECT_BUSY_TWIML)
      expect(await getVerification(t, id)).toMatchObject({ status: 'verified', calls: 1 })
    })

    it('simulate-call — --withheld is rejected at once and verifies nothing; a wrong token prints the 403 and exits 1', async () => {
      const id = await start()
      const withheld = await simulate(url, ['--from', '09012345678', '--to', '+81120000001', '--withheld'])
      expect(withheld.code).toBe(0)
      expect(Number(/in (\d+) ms/.exec(withheld.stdout)?.[1])).toBeLessThan(DELAY)
      const forged = await simulate(url, ['--from', '09012345678', '--to', '+81120000001'], { TWILIO_AUTH_TOKEN: 'not-our-token' })
      expect(forged.code).toBe(1)
      expect(forged.stdout).toContain('403 application/json')
      expect(forged.stdout).toContain('INVALID_SIGNATURE')
      expect(await getVerification(t, id)).toMatchObject({ status: 'pending', calls: 0 })
    })

    it('simulate-call --carrier — posts each carrier\'s own dialect, signed as that carrier signs: plivo verifies, bandwidth withheld rejects at once', async () => {
      const id = await start('plivo')
      const plivo = await simulate(url, ['--carrier', 'plivo', '--from', '09012345678', '--to', '+81120000001'])
      expect(plivo.code, plivo.stdout).toBe(0)
      expect(plivo.stdout).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/webhooks\/plivo\/voice \(voice-matched, [0-9a-f-]{36}\)$/m)
      expect(plivo.stdout).toContain('<Hangup reason="busy"/>')
      expect(await getVerification(t, id)).toMatchObject({ status: 'verified', calls: 1 })
      const bandwidth = await simulate(url, ['--carrier', 'bandwidth', '--to', '+81120000001', '--withheld'])
      expect(bandwidth.stdout).toContain('/webhooks/bandwidth/voice (voice-withheld-anonymous,')
      expect(Number(/in (\d+) ms/.exec(bandwidth.stdout)?.[1])).toBeLessThan(DELAY)
      expect(bandwidth.stdout).toContain('<Hangup/>')
    })

    it('simulate-call — --fixture posts another fixture to its own URL; bad arguments print the usage', async () => {
      await start()
      const fallback = await simulate(url, ['--from', '09012345678', '--to', '+81120000001', '--fixture', 'fallback'])
      expect(fallback.stdout).toContain('/webhooks/twilio/fallback (fallback,')
      expect(fallback.stdout).toContain(REJECT_BUSY_TWIML)
      const usage = await simulate(url, ['--from', '09012345678'])
      expect(usage.code).toBe(64)
      expect(usage.stdout).toContain('usage: simulate-call')
      const unknown = await simulate(url, ['--from', '09012345678', '--to', '+81120000001', '--fixture', '../package'])
      expect(unknown.code).toBe(1)
      expect(unknown.stdout).toContain('not a fixture name')
    })
  })
}
