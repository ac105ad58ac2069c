import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, API_KEY, bearer, type TestApp } from '../support/app.js'
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio.js'
import { buildWebhookApp } from '../support/twilio.js'

// The callverify CLI as a real process against a service on a real listener (memory store):
// every command, its table and --json output, and the exit codes 0 / 1 / 2 / 3.

const root = fileURLToPath(new URL('../../', import.meta.url))
const accountSid = `AC${'1'.repeat(32)}`

let t: TestApp
let fake: FakeTwilio
let url: string

interface Run { code: number; stdout: string; stderr: string }

function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, CALLVERIFY_URL: url, CALLVERIFY_ADMIN_TOKEN: ADMIN_TOKEN, ...env },
      timeout: 30_000,
    }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }))
  })
}

beforeAll(async () => {
  fake = await startFakeTwilio({ accountSid, authToken: 'fake-auth-token', numbers: [{ phoneNumber: '+81120000001' }, { phoneNumber: '+815000000009' }] })
  t = await buildWebhookApp('memory', {
    RING_DELAY_MS: '0', LOCK_AFTER_FAILURES: '1', TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: 'fake-auth-token', TWILIO_API_URL: fake.url,
  })
  url = await t.app.listen({ port: 0, host: '127.0.0.1' })
})
afterAll(async () => {
  await t?.close()
  await fake?.close()
})

// Each case starts several node processes: generous time on a busy machine.
describe('callverify CLI', { timeout: 60_000 }, () => {
  it('usage — no command, an unknown one, a bad option or value → exit 2 with the usage', async () => {
    const cases = [[], ['pool', 'list'], ['numbers', 'list', '--bogus'], ['numbers', 'add', '+81120000009', '--weight', 'heavy'], ['numbers', 'set', '+81120000001'], ['numbers', 'set', '+81120000001', '--state', 'paused'], ['locks', 'show', '09012345678']]
    const runs = await Promise.all(cases.map((args) => cli(args)))
    runs.forEach((run, i) => {
      expect(run.code, cases[i]!.join(' ')).toBe(2)
      expect(run.stderr).toContain('usage: callverify')
    })
    expect((await cli(['--help'])).code).toBe(0)
  })

  it('config — without CALLVERIFY_ADMIN_TOKEN → exit 2 saying to set it; a wrong token → exit 1 UNAUTHORIZED', async () => {
    const missing = await cli(['numbers', 'list'], { CALLVERIFY_ADMIN_TOKEN: undefined })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('set CALLVERIFY_ADMIN_TOKEN')
    const wrong = await cli(['numbers', 'list'], { CALLVERIFY_ADMIN_TOKEN: 'nope' })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/UNAUTHORIZED: .*CALLVERIFY_ADMIN_TOKEN/)
  })

  it('unreachable — no service at CALLVERIFY_URL → exit 3 asking whether it runs there', async () => {
    const run = await cli(['numbers', 'list'], { CALLVERIFY_URL: 'http://127.0.0.1:9' })
    expect(run.code).toBe(3)
    expect(run.stderr).toContain('is the service running there?')
  })

  it('numbers list — a readable table; --json the API body', async () => {
    const run = await cli(['numbers', 'list'])
    expect(run.code).toBe(0)
    const [header, ...rows] = run.stdout.trim().split('\n')
    expect(header).toMatch(/^NUMBER\s+CARRIER\s+DISPLAY\s+STATE\s+WEIGHT\s+HEALTH\s+PENDING\s+CALLS TODAY/)
    expect(rows[0]).toMatch(/^\+81120000001\s+twilio\s+0120-000-001\s+active\s+1\s+ok/)
    const json = JSON.parse((await cli(['numbers', 'list', '--json'])).stdout)
    expect(json.numbers).toHaveLength(3)
  })

  it('numbers add — adds (carrier, weight, label); again → exit 1 with the API code and message', async () => {
    const run = await cli(['numbers', 'add', '+81120000004', '--carrier', 'telnyx', '--weight', '2', '--label', 'osaka'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/\+81120000004\s+telnyx\s+0120-000-004\s+active\s+2\s+ok.*osaka/)
    const again = await cli(['numbers', 'add', '+81120000004'])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('ALREADY_EXISTS')
    const bad = await cli(['numbers', 'add', '0120000005', '--json'])
    expect(bad.code).toBe(1)
    expect(JSON.parse(bad.stdout).error.code).toBe('INVALID_PHONE_NUMBER')
  })

  it('numbers set — changes state; the last active number needs --force (exit 1 says so)', async () => {
    for (const n of ['+81120000002', '+81120000003', '+81120000004']) expect((await cli(['numbers', 'set', n, '--state', 'draining'])).code).toBe(0)
    const refused = await cli(['numbers', 'set', '+81120000001', '--state', 'quarantined'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/FORCE_REQUIRED: .*\(add --force\)/)
    const forced = await cli(['numbers', 'set', '+81120000001', '--state', 'quarantined', '--force', '--json'])
    expect(JSON.parse(forced.stdout)).toMatchObject({ e164: '+81120000001', state: 'quarantined' })
    for (const n of ['+81120000001', '+81120000002', '+81120000003']) await cli(['numbers', 'set', n, '--state', 'active', '--label', ''])
    expect((await t.store.getNumber('+81120000001'))?.state).toBe('active')
  })

  it('numbers sync — --dry-run reports, sync applies at the (fake) Twilio account', async () => {
    const dry = await cli(['numbers', 'sync', '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain('would update +81120000001')
    // +81120000004 was added as a Telnyx number above: not the Twilio account's concern.
    expect(dry.stdout).toMatch(/missing in the Twilio account: \+81120000002, \+81120000003 \(/)
    expect(dry.stdout).toContain('in the account, not in the pool: +815000000009')
    expect(fake.numbers[0]?.voiceUrl).toBe('')
    const run = await cli(['numbers', 'sync'])
    expect(run.stdout).toMatch(/^updated \+81120000001\n {2}voiceUrl: \(none\) → http:\/\/localhost:3000\/webhooks\/twilio\/voice/)
    expect(fake.numbers[0]?.voiceUrl).toBe(`${t.config.publicBaseUrl}/webhooks/twilio/voice`)
  })

  it('simulate-call — a signed call verifies the open window; --withheld is rejected; a wrong auth token → exit 1 with a hint', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09012345678' } })
    const v = created.json()
    const signing = { TWILIO_AUTH_TOKEN: t.config.twilio.authToken, PUBLIC_BASE_URL: t.config.publicBaseUrl }
    const withheld = await cli(['simulate-call', '--withheld', '--to', v.verificationNumber.e164], signing)
    expect(withheld.code).toBe(0)
    expect(withheld.stdout).toContain('<Reject')
    const call = await cli(['simulate-call', '--from', '09012345678', '--to', v.verificationNumber.e164, '--json'], signing)
    expect(call.code).toBe(0)
    expect(JSON.parse(call.stdout)).toMatchObject({ status: 200, fixture: 'voice-matched' })
    expect((await t.store.getVerification(v.id))?.verification.status).toBe('verified')
    const unsigned = await cli(['simulate-call', '--from', '09012345678', '--to', v.verificationNumber.e164], { ...signing, TWILIO_AUTH_TOKEN: 'other' })
    expect(unsigned.code).toBe(1)
    expect(unsigned.stdout).toContain('set TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL')
  })

  it('locks show / clear — shows the day lock masked and lifts it', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '08011112222' } })
    await t.app.inject({ method: 'POST', url: `/v1/verifications/${created.json().id}/cancel`, headers: bearer(API_KEY) })
    const show = await cli(['locks', 'show', '08011112222', '--tenant', 'demo'])
    expect(show.code).toBe(0)
    expect(show.stdout).toMatch(/^demo \*{7}2222: locked until \d{4}-\d\d-\d\d 15:00:00Z \(1 failures today\)/)
    const clear = await cli(['locks', 'clear', '08011112222', '--tenant', 'demo'])
    expect(clear.stdout).toContain('lifted the lock on demo *******2222')
    expect((await cli(['locks', 'show', '+818011112222', '--tenant', 'demo', '--json'])).stdout).toContain('"locked": false')
    const bad = await cli(['locks', 'show', '08011112222', '--tenant', 'nobody'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('INVALID_REQUEST')
  })

  it('maintenance list / add / remove — announces and withdraws a window', async () => {
    const starts = new Date(t.clock.now + 3600_000).toISOString()
    const ends = new Date(t.clock.now + 7200_000).toISOString()
    const add = await cli(['maintenance', 'add', '--starts', starts, '--ends', ends, '--note', 'carrier work', '--json'])
    expect(add.code).toBe(0)
    const { id } = JSON.parse(add.stdout)
    const list = await cli(['maintenance', 'list'])
    expect(list.stdout).toMatch(new RegExp(`^ID\\s+STARTS.*\\n${id}\\s+.*no\\s+alice\\s+carrier work`))
    expect((await cli(['maintenance', 'remove', id])).stdout).toContain(`removed ${id}`)
    expect((await cli(['maintenance', 'list'])).stdout).toContain('no maintenance announced')
    expect((await cli(['maintenance', 'remove', id])).code).toBe(1)
    expect((await cli(['maintenance', 'add', '--starts', starts])).code).toBe(2)
  })
})
