import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadFixture } from '../../src/carriers/twilio/fixtures.js'
import { signTwilioRequest } from '../../src/carriers/twilio/signature.js'
import { ConfigError, loadServiceCalendar } from '../../src/config.js'
import type { ServiceCalendar } from '../../src/domain/calendar.js'
import { API_KEY, STORE_KINDS, bearer, buildTestApp, type StoreKind, type TestApp } from '../support/app.js'

// R12 over HTTP: /v1/service-status names each closure, and create and confirm are refused while
// closed (503 OUT_OF_SERVICE_HOURS) or when a closure would begin inside the new window. Calls
// keep being recorded while closed. The gate reads the app clock: memory moves it with the store's,
// Redis gets its own (the store still judges windows by Redis TIME).

const PHONE = '09012345678'
const E164 = '+819012345678'
const CLOSED_JA = 'ただ今の時間はサービスを行っていません。ご了承ください。'
const jst = (local: string) => Date.parse(`${local}+09:00`)
const iso = (local: string) => new Date(jst(local)).toISOString()

// 2026-03: Mondays 2, 9, 16; Sundays 1, 8, 15, 22. 2027-01-01 is a Friday, 01-04 the 1st Monday.
const CLOSURES: [at: string, reason: string, until: string][] = [
  ['2026-03-10T00:00:30', 'DAILY_MIDNIGHT', '2026-03-10T00:01'],
  ['2026-03-10T04:02', 'DAILY_0400', '2026-03-10T04:05'],
  ['2026-03-02T03:00', 'MONDAY_NIGHT', '2026-03-02T06:00'],
  ['2026-03-16T04:01', 'MONDAY_NIGHT', '2026-03-16T06:00'], // 04:00 daily lies inside: one closure
  ['2026-03-07T23:55', 'SUNDAY_EVE', '2026-03-08T07:00'],
  ['2026-03-08T00:00:30', 'SUNDAY_EVE', '2026-03-08T07:00'], // named by the closure that began first
  ['2026-03-21T23:50', 'SUNDAY_EVE', '2026-03-22T07:00'],
  ['2027-01-02T05:00', 'NEW_YEAR', '2027-01-02T08:00'],
  ['2027-01-03T20:00', 'NEW_YEAR', '2027-01-04T00:01'], // touches 00:00 daily: reopens at 00:01
]
const OPEN = ['2026-03-10T12:00', '2026-03-10T00:01', '2026-03-09T03:00', '2026-03-14T23:55', '2027-01-03T12:00', '2027-01-04T00:01']
const NOON = jst('2026-03-10T12:00')

/** A call as Twilio posts it to the voice URL, signed; through the store while the route is not there yet. */
async function call(t: TestApp, from: string, to: string): Promise<void> {
  const CallSid = `CA${randomBytes(16).toString('hex')}`
  const url = '/webhooks/twilio/voice'
  if (!t.app.hasRoute({ method: 'POST', url })) {
    await t.store.recordCall({ callSid: CallSid, from, to })
    return
  }
  const params = { ...(loadFixture('voice-matched').params as Record<string, string>), CallSid, From: from, Caller: from, To: to, Called: to }
  const res = await t.app.inject({
    method: 'POST', url, payload: new URLSearchParams(params).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilioRequest(t.config.twilio.authToken, t.config.publicBaseUrl + url, params) },
  })
  expect(res.statusCode).toBe(200)
  expect(res.body).toContain('<Reject')
}

for (const kind of STORE_KINDS) {
  describe(`service hours (R12) on the ${kind} store`, () => {
    let t: TestApp
    let appNow = 0
    afterEach(async () => t?.close())

    async function build(at: number, options: { env?: Record<string, string>; calendar?: ServiceCalendar } = {}) {
      appNow = at
      t = await buildTestApp(kind, {
        env: options.env ?? {},
        ...(kind === 'memory' ? { startAt: at } : {}),
        deps: { ...(kind === 'redis' ? { clock: () => appNow } : {}), ...(options.calendar ? { calendar: options.calendar } : {}) },
      })
      return t
    }
    /** Moves the gate's clock (memory: the store's too). */
    function moveTo(at: number) {
      appNow = at
      t.clock.now = at
    }
    const create = () => t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: PHONE } })
    const confirm = (id: string) => t.app.inject({ method: 'POST', url: `/v1/verifications/${id}/confirm`, headers: bearer(API_KEY) })
    const status = (at?: string) => t.app.inject({ method: 'GET', url: `/v1/service-status${at ? `?at=${encodeURIComponent(at)}` : ''}` })

    function expectClosed(res: Awaited<ReturnType<typeof create>>, reason: string, until: number, now: number) {
      expect(res.statusCode, res.body).toBe(503)
      expect(res.json().error).toEqual({
        code: 'OUT_OF_SERVICE_HOURS', reason, until: new Date(until).toISOString(), message: expect.any(String), messageJa: CLOSED_JA,
      })
      expect(Number(res.headers['retry-after'])).toBe(Math.ceil((until - now) / 1000))
    }

    it('service-status — names each seed closure with the moment it really reopens', async () => {
      await build(NOON)
      for (const [at, reason, until] of CLOSURES) {
        const res = await status(iso(at))
        expect(res.statusCode).toBe(200)
        expect(res.json(), at).toEqual({ open: false, reason, until: iso(until) })
      }
      for (const at of OPEN) expect((await status(`${at}:00+09:00`)).json(), at).toEqual({ open: true })
      expect((await status('yesterday')).json().error.code).toBe('INVALID_REQUEST')
    })

    it('service-status — without `at` answers for now', async () => {
      await build(jst('2026-03-10T04:03'))
      expect((await status()).json()).toEqual({ open: false, reason: 'DAILY_0400', until: iso('2026-03-10T04:05') })
      moveTo(jst('2026-03-10T04:05'))
      expect((await status()).json()).toEqual({ open: true })
    })

    it('create — 503 OUT_OF_SERVICE_HOURS with reason, until, Retry-After and the seed message while closed', async () => {
      await build(jst('2026-03-10T00:00:20'))
      expectClosed(await create(), 'DAILY_MIDNIGHT', jst('2026-03-10T00:01'), appNow)
      moveTo(jst('2026-03-16T02:30'))
      expectClosed(await create(), 'MONDAY_NIGHT', jst('2026-03-16T06:00'), appNow)
      moveTo(jst('2027-01-01T07:59:59'))
      expectClosed(await create(), 'NEW_YEAR', jst('2027-01-01T08:00'), appNow)
    })

    it('create — refused when a closure would begin inside the new window (R3 with R12)', async () => {
      await build(jst('2026-03-10T23:58:30')) // 120 s window: 00:00 falls inside it
      expectClosed(await create(), 'DAILY_MIDNIGHT', jst('2026-03-11T00:01'), appNow)
      expect((await status()).json()).toEqual({ open: true })
      moveTo(jst('2026-03-10T23:57:59')) // ends 23:59:59, before the closure
      expect((await create()).statusCode).toBe(201)
    })

    it('confirm — refused while closed, even for a window opened before the closure (calendar closing now)', async () => {
      // A calendar whose one rule starts when the test says: a configuration change, say.
      let rules: ServiceCalendar['rules'] = []
      const calendar: ServiceCalendar = { get rules() { return rules } }
      await build(NOON, { calendar })
      const v = (await create()).json()
      await t.store.recordCall({ callSid: `CA${'2'.repeat(32)}`, from: E164, to: v.verificationNumber.e164 })
      rules = [{ reason: 'DAILY_0400', kind: 'daily', start: '11:59', end: '12:10' }]
      expectClosed(await confirm(v.id), 'DAILY_0400', jst('2026-03-10T12:10'), appNow)
      rules = []
      expect((await confirm(v.id)).json().status).toBe('confirmed')
    })

    it('calls — keep being recorded while closed: a window opened before a maintenance verifies during it', async () => {
      // Redis drops maintenance that is over by its own clock: this one is set in real time.
      const now = kind === 'memory' ? NOON : Date.now()
      await build(now, { calendar: { rules: [] }, env: { RING_DELAY_MS: '0' } })
      const v = (await create()).json()
      const added = await t.app.inject({
        method: 'POST', url: '/admin/maintenance', headers: bearer('dev-admin-token'),
        payload: { startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 600_000).toISOString(), note: 'carrier switch' },
      })
      expect(added.statusCode, added.body).toBe(201)
      moveTo(now + 1000)
      expect((await create()).json().error.code).toBe('MAINTENANCE')
      await call(t, E164, v.verificationNumber.e164)
      const read = await t.app.inject({ method: 'GET', url: `/v1/verifications/${v.id}`, headers: bearer(v.pollToken) })
      expect(read.json().status).toBe('verified')
      expect((await confirm(v.id)).json().error.code).toBe('MAINTENANCE')
    })
  })
}

describe('service hours (R12) on Redis at the real time', () => {
  let t: TestApp
  afterEach(async () => t?.close())

  // Redis time cannot move: a daily rule around the current minute closes "now".
  function ruleAround(now: number, fromMinute: number, minutes: number) {
    // Never let "the next minute" begin while the app is being built.
    if (fromMinute > 0 && 60_000 - (now % 60_000) < 5_000) fromMinute++
    const start = now - (now % 60_000) + fromMinute * 60_000
    const hhmm = (ms: number) => new Date(ms + 9 * 3600_000).toISOString().slice(11, 16)
    return { rule: { reason: 'SUNDAY_EVE' as const, kind: 'daily' as const, start: hhmm(start), end: hhmm(start + minutes * 60_000) }, until: start + minutes * 60_000 }
  }

  it('service-status and create — a closure holding now, and one starting inside the window', async () => {
    const kind: StoreKind = 'redis'
    const closing = ruleAround(Date.now(), 0, 2)
    t = await buildTestApp(kind, { deps: { calendar: { rules: [closing.rule] } } })
    expect((await t.app.inject({ method: 'GET', url: '/v1/service-status' })).json()).toEqual({ open: false, reason: 'SUNDAY_EVE', until: new Date(closing.until).toISOString() })
    const res = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: PHONE } })
    expect(res.statusCode).toBe(503)
    expect(res.json().error).toMatchObject({ code: 'OUT_OF_SERVICE_HOURS', reason: 'SUNDAY_EVE', until: new Date(closing.until).toISOString(), messageJa: CLOSED_JA })
    await t.close()

    const soon = ruleAround(Date.now(), 1, 2)
    t = await buildTestApp(kind, { deps: { calendar: { rules: [soon.rule] } } })
    expect((await t.app.inject({ method: 'GET', url: '/v1/service-status' })).json()).toEqual({ open: true })
    const cut = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: PHONE } })
    expect(cut.json().error).toMatchObject({ code: 'OUT_OF_SERVICE_HOURS', until: new Date(soon.until).toISOString() })
  })
})

describe('SERVICE_CALENDAR file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callverify-calendar-'))
  const file = (name: string, text: string) => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }
  const problem = (path: string) => {
    try {
      loadServiceCalendar(path)
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      return (error as ConfigError).message
    }
    throw new Error('loaded a bad calendar')
  }

  it('start-up — loads a good file, and refuses a bad one naming the file and the field', () => {
    const good = file('good.json', JSON.stringify({ rules: [{ reason: 'DAILY_MIDNIGHT', kind: 'daily', start: '00:00', end: '00:02' }] }))
    expect(loadServiceCalendar(good).rules).toHaveLength(1)
    const badTime = file('bad-time.json', JSON.stringify({ rules: [{ reason: 'DAILY_MIDNIGHT', kind: 'daily', start: '0:00', end: '00:02' }] }))
    expect(problem(badTime)).toMatch(new RegExp(`SERVICE_CALENDAR ${badTime}: .*rules\\[0\\]\\.start`))
    const typo = file('typo.json', JSON.stringify({ rules: [{ reason: 'NEW_YEAR', kind: 'dates', month: 1, day: [1], start: '00:00', end: '08:00' }] }))
    expect(problem(typo)).toContain('rules[0].day')
    expect(problem(file('not.json', '{"rules": ['))).toMatch(/SERVICE_CALENDAR .*not\.json is not JSON/)
    expect(problem(join(dir, 'missing.json'))).toMatch(/SERVICE_CALENDAR: cannot read .*missing\.json \(ENOENT\)/)
  })

  it('start-up — the process exits 78 (EX_CONFIG) before serving, and says which file and field', () => {
    const bad = file('bad-reason.json', JSON.stringify({ rules: [{ reason: 'LUNCH', kind: 'daily', start: '12:00', end: '13:00' }] }))
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, SERVICE_CALENDAR: bad, STORE: 'memory', PORT: '0', REDIS_URL: '', NODE_ENV: 'development' }, encoding: 'utf8', timeout: 15_000,
    })
    expect(run.status).toBe(78)
    expect(run.stderr).toContain(`SERVICE_CALENDAR ${bad}: service calendar: rules[0].reason must be one of`)
  })
})
