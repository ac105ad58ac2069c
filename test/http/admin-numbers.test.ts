import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, API_KEY, STORE_KINDS, bearer, buildTestApp, type TestApp } from '../support/app.js'

// PATCH/POST/GET /admin/numbers on both stores: each call, each state and what it does to
// allocation (R2) and to call matching, the force rule, and the audit entries.

const [N1, N2, N3] = ['+81120000001', '+81120000002', '+81120000003']
const NOON_JST = Date.parse('2026-06-10T03:00:00Z') // a Wednesday, inside service hours (R12)
const admin = bearer(ADMIN_TOKEN)

for (const kind of STORE_KINDS) {
  describe(`/admin/numbers on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())
    const start = async (env: Record<string, string> = {}) => (t = await buildTestApp(kind, { startAt: NOON_JST, env }))

    const list = async () => (await t.app.inject({ url: '/admin/numbers', headers: admin })).json().numbers as Record<string, unknown>[]
    const patch = (e164: string, payload: Record<string, unknown>, query = '') =>
      t.app.inject({ method: 'PATCH', url: `/admin/numbers/${encodeURIComponent(e164)}${query}`, headers: admin, payload })
    const create = async (phoneNumber = '09012345678') =>
      t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber } })
    const call = (from: string, to: string) => t.app.store.recordCall({ callSid: `CA${randomUUID().replace(/-/g, '')}`, from, to })

    /** Every number handed out by `count` creates, each for a different caller. */
    async function allocated(count = 12): Promise<Set<string>> {
      const seen = new Set<string>()
      for (let i = 0; i < count; i++) {
        const res = await create(`0901234${String(1000 + i)}`)
        expect(res.statusCode).toBe(201)
        seen.add(res.json().verificationNumber.e164)
      }
      return seen
    }

    it('GET — lists the pool with display, state, weight, load and health', async () => {
      await start()
      await create()
      const numbers = await list()
      expect(numbers.map((n) => n.e164)).toEqual([N1, N2, N3])
      expect(numbers[0]).toMatchObject({ display: '0120-000-001', state: 'active', weight: 1, health: 'ok', callsToday: 0 })
      expect(numbers.reduce((sum, n) => sum + (n.pending as number), 0)).toBe(1)
      expect(numbers.reduce((sum, n) => sum + (n.allocationsSinceCall as number), 0)).toBe(1)
      expect(numbers[0]!.addedAt).toMatch(/Z$/)
    })

    it('GET — shows callsToday and lastCallAt (ISO) after a call; the call resets allocationsSinceCall', async () => {
      await start()
      const v = (await create()).json()
      await call('+819012345678', v.verificationNumber.e164)
      const n = (await list()).find((x) => x.e164 === v.verificationNumber.e164)!
      expect(n).toMatchObject({ callsToday: 1, allocationsSinceCall: 0 })
      expect(Date.parse(n.lastCallAt as string)).toBeGreaterThan(0)
    })

    it('POST — adds an active number (201) that allocation then uses; audited with the token name', async () => {
      await start()
      const res = await t.app.inject({ method: 'POST', url: '/admin/numbers', headers: admin, payload: { e164: '+81120000004', weight: 3, label: 'osaka' } })
      expect(res.statusCode).toBe(201)
      expect(res.json()).toMatchObject({ e164: '+81120000004', display: '0120-000-004', state: 'active', weight: 3, label: 'osaka', health: 'ok', pending: 0 })
      for (const n of [N1, N2, N3]) await patch(n, { state: 'draining' })
      expect(await allocated(3)).toEqual(new Set(['+81120000004']))
      const entry = (await t.app.inject({ url: '/admin/audit', headers: admin })).json().entries.at(-1)
      expect(entry).toMatchObject({ actor: 'alice', action: 'numbers.add', target: '+81120000004', after: { state: 'active', weight: 3, label: 'osaka' } })
    })

    it('POST — 409 ALREADY_EXISTS when present; 400 INVALID_PHONE_NUMBER when not E.164; 400 on a bad body', async () => {
      await start()
      const again = await t.app.inject({ method: 'POST', url: '/admin/numbers', headers: admin, payload: { e164: N1 } })
      expect(again.statusCode).toBe(409)
      expect(again.json().error.code).toBe('ALREADY_EXISTS')
      for (const e164 of ['0120000004', '+0120', '+81 120 000 004', 'tel:+81120000004', '+8112']) {
        const res = await t.app.inject({ method: 'POST', url: '/admin/numbers', headers: admin, payload: { e164 } })
        expect(res.statusCode, e164).toBe(400)
        expect(res.json().error.code, e164).toBe('INVALID_PHONE_NUMBER')
      }
      for (const payload of [{}, { e164: '+81120000004', weight: -1 }, { e164: '+81120000004', weight: 1.5 }, { e164: '+81120000004', state: 'active' }]) {
        const res = await t.app.inject({ method: 'POST', url: '/admin/numbers', headers: admin, payload })
        expect(res.json().error.code, JSON.stringify(payload)).toBe('INVALID_REQUEST')
      }
    })

    it('PATCH — :e164 may be %2B-encoded, a literal +, or the digits alone; unknown → 404, invalid → 400', async () => {
      await start()
      for (const [path, label] of [['%2B81120000001', 'a'], ['+81120000001', 'b'], ['81120000001', 'c']] as const) {
        const res = await t.app.inject({ method: 'PATCH', url: `/admin/numbers/${path}`, headers: admin, payload: { label } })
        expect(res.statusCode, path).toBe(200)
        expect(res.json()).toMatchObject({ e164: N1, label })
      }
      expect((await patch('+81120000009', { label: 'x' })).json().error.code).toBe('NOT_FOUND')
      expect((await patch('abc', { label: 'x' })).json().error.code).toBe('INVALID_PHONE_NUMBER')
      expect((await patch(N1, {})).json().error.code).toBe('INVALID_REQUEST')
      expect((await patch(N1, { state: 'paused' })).json().error.code).toBe('INVALID_REQUEST')
    })

    it('PATCH active → draining — no longer allocated, but a call still verifies its open window', async () => {
      await start()
      const v = (await create()).json()
      const held = v.verificationNumber.e164
      const res = await patch(held, { state: 'draining' })
      expect(res.json()).toMatchObject({ state: 'draining', pending: 1 })
      expect(await allocated()).not.toContain(held)
      expect((await call('+819012345678', held)).outcome).toBe('verified')
    })

    it('PATCH → quarantined — not allocated, calls still verify open windows, listed as quarantined', async () => {
      await start()
      const v = (await create()).json()
      const held = v.verificationNumber.e164
      expect((await patch(held, { state: 'quarantined' })).json()).toMatchObject({ state: 'quarantined' })
      expect(await allocated()).not.toContain(held)
      expect((await call('+819012345678', held)).outcome).toBe('verified')
      expect((await list()).find((n) => n.e164 === held)).toMatchObject({ state: 'quarantined' })
    })

    it('PATCH → retired — never allocated and never matches again, even an open window', async () => {
      await start()
      const v = (await create()).json()
      const held = v.verificationNumber.e164
      expect((await patch(held, { state: 'retired' })).statusCode).toBe(200)
      expect(await allocated()).not.toContain(held)
      expect((await call('+819012345678', held)).outcome).toBe('unknown-number')
      const poll = await t.app.inject({ url: `/v1/verifications/${v.id}`, headers: bearer(API_KEY) })
      expect(poll.json().status).toBe('pending')
    })

    it('PATCH → active again — allocated again; clears an answered health (the operator vouches for it)', async () => {
      await start()
      await t.app.store.recordCallStatus({ callSid: 'CA1', to: N1, status: 'completed', durationSeconds: 3 })
      expect((await list())[0]).toMatchObject({ state: 'quarantined', health: 'answered' })
      expect((await patch(N1, { state: 'active' })).json()).toMatchObject({ state: 'active', health: 'ok' })
      await patch(N2, { state: 'draining' })
      await patch(N3, { state: 'draining' })
      expect(await allocated(3)).toEqual(new Set([N1]))
    })

    it('PATCH weight — weight 0 takes a number out of allocation; weights share it (R2)', async () => {
      await start()
      await patch(N1, { weight: 0 })
      await patch(N2, { weight: 5 })
      const seen = await allocated(12)
      expect(seen).not.toContain(N1)
      expect(seen).toContain(N2)
      expect((await list())[0]).toMatchObject({ state: 'active', weight: 0 })
    })

    it.each([[{ state: 'draining' }], [{ state: 'quarantined' }], [{ state: 'retired' }], [{ weight: 0 }]])(
      'PATCH %j of the last active number → 409 FORCE_REQUIRED, nothing changed; ?force=true does it',
      async (change) => {
        await start()
        await patch(N2, { state: 'draining' })
        await patch(N3, { weight: 0 })
        const refused = await patch(N1, change)
        expect(refused.statusCode).toBe(409)
        expect(refused.json().error).toMatchObject({ code: 'FORCE_REQUIRED', message: expect.stringContaining('?force=true') })
        expect((await list())[0]).toMatchObject({ state: 'active', weight: 1 })
        expect((await create()).statusCode).toBe(201)
        const forced = await patch(N1, change, '?force=true')
        expect(forced.statusCode).toBe(200)
        expect((await create('09087654321')).json().error.code).toBe('POOL_EXHAUSTED')
      },
    )

    it('PATCH — the last active number may still change label or weight > 0 without force', async () => {
      await start()
      await patch(N2, { state: 'retired' })
      await patch(N3, { state: 'retired' })
      expect((await patch(N1, { label: 'last', weight: 2 })).json()).toMatchObject({ label: 'last', weight: 2, state: 'active' })
    })

    it('PATCH — a retired number comes back only with ?force=true', async () => {
      await start()
      await patch(N3, { state: 'retired' })
      const refused = await patch(N3, { state: 'active' })
      expect(refused.statusCode).toBe(409)
      expect(refused.json().error.message).toContain('retired')
      expect((await patch(N3, { state: 'active' }, '?force=true')).json()).toMatchObject({ state: 'active' })
    })

    it('PATCH — every change audited: token name, time, before and after, newest first', async () => {
      await start({ ADMIN_TOKENS: `alice:${ADMIN_TOKEN},bob:bob-admin-token` })
      await patch(N1, { state: 'draining', label: 'old' })
      await t.app.inject({ method: 'PATCH', url: `/admin/numbers/${N1}`, headers: bearer('bob-admin-token'), payload: { state: 'active' } })
      const entries = (await t.app.inject({ url: '/admin/audit', headers: admin })).json().entries
      expect(entries[0]).toMatchObject({ actor: 'bob', action: 'numbers.update', target: N1, before: { state: 'draining', label: 'old' }, after: { state: 'active', label: 'old', health: 'ok' } })
      expect(entries[1]).toMatchObject({ actor: 'alice', before: { state: 'active', weight: 1, health: 'ok' }, after: { state: 'draining', weight: 1, label: 'old' } })
      expect(Date.parse(entries[0].at)).toBeGreaterThanOrEqual(Date.parse(entries[1].at))
      expect((await t.app.inject({ url: '/admin/audit?limit=1', headers: admin })).json().entries).toHaveLength(1)
    })
  })
}
