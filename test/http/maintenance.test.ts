import { afterEach, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, API_KEY, STORE_KINDS, bearer, buildTestApp, type TestApp, deployment } from '../support/app.js'

// Announced maintenance (R12 ⑥): operators declare it under /admin; create and confirm answer
// 503 MAINTENANCE with `until` while it is on, at once on this instance.

const PHONE = '09012345678'
const CLOSED_JA = 'ただ今の時間はサービスを行っていません。ご了承ください。'
/** Tuesday 2026-03-10 12:00 Japan time. */
const NOON = Date.parse('2026-03-10T03:00:00Z')
// The seed calendar is not under test here, and Redis runs at the real time: keep it open.
const ALWAYS_OPEN = { calendar: { rules: [] } }
const isoAt = (ms: number) => new Date(ms).toISOString()

for (const kind of STORE_KINDS) {
  describe(`/admin/maintenance on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    async function build() {
      t = await buildTestApp(kind, { deps: ALWAYS_OPEN, ...(kind === 'memory' ? { startAt: NOON } : {}) })
      return t
    }
    // Redis drops windows that are over by its own clock, so its windows are set in real time.
    const now = () => (kind === 'memory' ? t.clock.now : Date.now())
    const add = (payload: unknown, token = ADMIN_TOKEN) =>
      t.app.inject({ method: 'POST', url: '/admin/maintenance', headers: bearer(token), payload: payload as object })
    const list = () => t.app.inject({ method: 'GET', url: '/admin/maintenance', headers: bearer(ADMIN_TOKEN) })
    const remove = (id: string, token = ADMIN_TOKEN) => t.app.inject({ method: 'DELETE', url: `/admin/maintenance/${id}`, headers: bearer(token) })
    const create = () => t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: PHONE } })

    function expectMaintenance(res: Awaited<ReturnType<typeof create>>, until: number) {
      expect(res.statusCode, res.body).toBe(503)
      expect(res.json().error).toEqual({ code: 'MAINTENANCE', until: isoAt(until), message: expect.any(String), messageJa: CLOSED_JA })
      const retryAfter = Number(res.headers['retry-after'])
      expect(Math.abs(retryAfter - (until - now()) / 1000)).toBeLessThan(3)
    }

    it('admin — 401 without a token, 403 with an API key', async () => {
      await build()
      const body = { startsAt: isoAt(now()), endsAt: isoAt(now() + 60_000), note: 'x' }
      for (const res of [
        await t.app.inject({ method: 'GET', url: '/admin/maintenance' }),
        await t.app.inject({ method: 'POST', url: '/admin/maintenance', payload: body }),
        await t.app.inject({ method: 'DELETE', url: '/admin/maintenance/mw_x' }),
      ]) expect(res.json().error.code).toBe('UNAUTHORIZED')
      expect((await add(body, API_KEY)).json().error.code).toBe('FORBIDDEN')
      expect((await remove('mw_x', API_KEY)).json().error.code).toBe('FORBIDDEN')
      expect((await t.app.inject({ method: 'GET', url: '/admin/maintenance', headers: bearer(API_KEY) })).statusCode).toBe(403)
      expect((await list()).json()).toEqual({ maintenance: [] })
    })

    it('POST — 201; while it is on, create and confirm answer 503 MAINTENANCE with until, and service-status says so', async () => {
      await build()
      const v = (await create()).json()
      await t.store.recordCall({ callSid: `CA${'4'.repeat(32)}`, from: '+819012345678', to: v.verificationNumber.e164 })
      const startsAt = now() - 1000
      const endsAt = now() + 600_000
      const res = await add({ startsAt: isoAt(startsAt), endsAt: isoAt(endsAt), note: '回線切替' })
      expect(res.statusCode, res.body).toBe(201)
      const window = res.json()
      expect(window).toEqual({ id: expect.any(String), startsAt: isoAt(startsAt), endsAt: isoAt(endsAt), note: '回線切替', createdBy: 'alice', active: true })
      expect((await list()).json()).toEqual({ maintenance: [window] })
      expectMaintenance(await create(), endsAt)
      expectMaintenance(await t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/confirm`, headers: bearer(API_KEY) }), endsAt)
      expect((await t.app.inject({ method: 'GET', url: '/v1/service-status' })).json()).toEqual({ open: false, reason: 'MAINTENANCE', until: isoAt(endsAt) })
      const [entry] = await t.store.listAudit(10)
      expect(entry).toMatchObject({ actor: 'alice', action: 'maintenance.add', target: window.id, after: window })
    })

    it('POST — a window that begins inside a new verification window refuses the create; one later does not', async () => {
      await build()
      const startsAt = now() + 60_000
      expect((await add({ startsAt: isoAt(startsAt), endsAt: isoAt(startsAt + 60_000) })).statusCode).toBe(201)
      expectMaintenance(await create(), startsAt + 60_000)
      expect((await list()).json().maintenance[0]).toMatchObject({ note: '', active: false })
      await t.close()
      await build()
      await add({ startsAt: isoAt(now() + 600_000), endsAt: isoAt(now() + 660_000) })
      expect((await create()).statusCode).toBe(201)
    })

    it('POST — 400 INVALID_REQUEST for dates that are not ISO, an end not after the start, a window in the past, a long note', async () => {
      await build()
      const at = now()
      const bad = [
        { startsAt: 'tomorrow', endsAt: isoAt(at + 60_000) },
        { startsAt: isoAt(at), endsAt: '2026-03-10 13:00' },
        { startsAt: isoAt(at + 60_000), endsAt: isoAt(at + 60_000) },
        { startsAt: isoAt(at + 60_000), endsAt: isoAt(at) },
        { startsAt: isoAt(at - 120_000), endsAt: isoAt(at - 60_000) },
        { startsAt: isoAt(at), endsAt: isoAt(at + 60_000), note: 'x'.repeat(501) },
        { startsAt: isoAt(at), endsAt: isoAt(at + 60_000), reason: 'extra' },
        { endsAt: isoAt(at + 60_000) },
      ]
      for (const payload of bad) {
        const res = await add(payload)
        expect(res.statusCode, JSON.stringify(payload)).toBe(400)
        expect(res.json().error.code).toBe('INVALID_REQUEST')
      }
      expect((await add({ startsAt: isoAt(at - 60_000), endsAt: isoAt(at + 60_000), note: 'x'.repeat(500) })).statusCode).toBe(201)
    })

    it('DELETE — 204 reopens at once and is audited; 404 for an unknown id', async () => {
      await build()
      const window = (await add({ startsAt: isoAt(now()), endsAt: isoAt(now() + 600_000), note: 'n' })).json()
      expect((await create()).statusCode).toBe(503)
      const res = await remove(window.id)
      expect(res.statusCode).toBe(204)
      expect(res.body).toBe('')
      expect((await create()).statusCode).toBe(201)
      expect((await remove(window.id)).json().error.code).toBe('NOT_FOUND')
      const [entry] = await t.store.listAudit(10)
      expect(entry).toMatchObject({ actor: 'alice', action: 'maintenance.remove', target: window.id, before: { id: window.id } })
    })
  })
}

describe('/admin/maintenance across instances sharing Redis', () => {
  const instances = deployment()
  afterEach(() => instances.close())

  it('POST — another instance refuses creates within about a second', async () => {
    let elapsed = 0 // b's cache clock
    const a = await instances.instance({ deps: ALWAYS_OPEN })
    const b = await instances.instance({ deps: { ...ALWAYS_OPEN, monotonic: () => elapsed } })
    const create = () => b.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: PHONE } })
    expect((await create()).statusCode).toBe(201) // b has now read (and cached) "no maintenance"
    const added = await a.app.inject({
      method: 'POST', url: '/admin/maintenance', headers: bearer(ADMIN_TOKEN),
      payload: { startsAt: isoAt(Date.now()), endsAt: isoAt(Date.now() + 600_000) },
    })
    expect(added.statusCode).toBe(201)
    expect((await create()).statusCode).toBe(201) // b's cached read is still fresh
    elapsed += 1001
    expect((await create()).json().error.code).toBe('MAINTENANCE')
  })
})
