import { afterEach, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, API_KEY, STORE_KINDS, bearer, buildTestApp, type TestApp } from '../support/app.js'

// What the operations console reads beyond the contract's table: the audit log's filters and
// pages, the per-hour call counters behind its chart, and the reason a lock was lifted.

const admin = bearer(ADMIN_TOKEN)
const POOL = ['+81120000001', '+81120000002', '+81120000003']
const PHONE = '09012345678'
const callSid = (i: number) => `CA${String(i).padStart(32, '0')}`

for (const kind of STORE_KINDS) {
  describe(`console API on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    const audit = (query = '') => t.app.inject({ url: `/admin/audit${query}`, headers: admin })

    it('audit — newest first, paged by limit and offset with total and nextOffset', async () => {
      t = await buildTestApp(kind)
      for (let i = 0; i < 5; i++) await t.store.appendAudit({ at: 1_700_000_000_000 + i, actor: 'alice', action: `a${i}` })
      const first = (await audit('?limit=2')).json()
      expect(first.entries.map((e: { action: string }) => e.action)).toEqual(['a4', 'a3'])
      expect(first).toMatchObject({ total: 5, nextOffset: 2 })
      const last = (await audit('?limit=2&offset=4')).json()
      expect(last.entries.map((e: { action: string }) => e.action)).toEqual(['a0'])
      expect(last.total).toBe(5)
      expect(last.nextOffset).toBeUndefined()
      expect((await audit('?offset=1001')).statusCode).toBe(400)
    })

    it('audit — filters by operator and by number: a pool number by target, a customer number by its mask in lock entries', async () => {
      t = await buildTestApp(kind, { env: { ADMIN_TOKENS: `alice:${ADMIN_TOKEN},bob:bobs-admin-token` } })
      const bob = bearer('bobs-admin-token')
      const patch = (e164: string, headers: Record<string, string>, weight: number) =>
        t.app.inject({ method: 'PATCH', url: `/admin/numbers/${encodeURIComponent(e164)}`, headers, payload: { weight } })
      await patch(POOL[0]!, admin, 2)
      await patch(POOL[1]!, bob, 3)
      await patch(POOL[0]!, bob, 4)
      await t.app.inject({ method: 'DELETE', url: `/admin/locks/${PHONE}?tenant=demo`, headers: bob, payload: { reason: 'customer called' } })
      await t.app.inject({ method: 'DELETE', url: '/admin/locks/08011115678?tenant=demo', headers: admin })

      const bobs = (await audit('?actor=bob')).json()
      expect(bobs.total).toBe(3)
      expect(bobs.entries.every((e: { actor: string }) => e.actor === 'bob')).toBe(true)
      const n1 = (await audit(`?number=${encodeURIComponent(POOL[0]!)}`)).json()
      expect(n1.entries.map((e: { after: { weight: number } }) => e.after.weight)).toEqual([4, 2])
      // The display form finds it too; with the operator, one entry.
      expect((await audit('?number=0120-000-001&actor=bob')).json().total).toBe(1)
      // A customer's number: the log holds it masked, so every lock entry with that mask matches.
      const customer = (await audit(`?number=${PHONE}`)).json()
      expect(customer.entries.map((e: { target: string }) => e.target)).toEqual(['demo:*******5678', 'demo:*******5678'])
      expect(customer.entries[1]).toMatchObject({ actor: 'bob', reason: 'customer called' })
      const page = await audit(`?number=${PHONE}`)
      expect(page.body).not.toContain('12345678')
      const bad = await audit('?number=hello')
      expect(bad.statusCode).toBe(400)
      expect(bad.json().error.code).toBe('INVALID_PHONE_NUMBER')
    })

    it('locks — DELETE takes a reason into the audit log; without a body it still lifts (the CLI)', async () => {
      t = await buildTestApp(kind)
      const withReason = await t.app.inject({ method: 'DELETE', url: `/admin/locks/${PHONE}?tenant=demo`, headers: admin, payload: { reason: '  本人確認済み  ' } })
      expect(withReason.statusCode).toBe(200)
      expect((await t.store.listAudit(1))[0]).toMatchObject({ action: 'locks.clear', reason: '本人確認済み' })
      const bare = await t.app.inject({ method: 'DELETE', url: `/admin/locks/${PHONE}?tenant=demo`, headers: admin })
      expect(bare.statusCode).toBe(200)
      expect((await t.store.listAudit(1))[0]!.reason).toBeUndefined()
      const tooLong = await t.app.inject({ method: 'DELETE', url: `/admin/locks/${PHONE}?tenant=demo`, headers: admin, payload: { reason: 'x'.repeat(501) } })
      expect(tooLong.statusCode).toBe(400)
    })

    it('GET /admin/numbers/hourly — per number the last 24 hours, calls and verified calls, the current hour last', async () => {
      t = await buildTestApp(kind)
      const created = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: PHONE } })
      const to = created.json().verificationNumber.e164 as string
      expect((await t.store.recordCall({ callSid: callSid(1), from: '+819012345678', to })).outcome).toBe('verified')
      await t.store.recordCall({ callSid: callSid(2), from: '+819012345678', to })
      await t.store.recordWithheldCall(to, callSid(3))
      const res = await t.app.inject({ url: '/admin/numbers/hourly', headers: admin })
      expect(res.statusCode).toBe(200)
      const body = res.json()
      expect(body.hours).toHaveLength(24)
      const lastHour = Date.parse(body.hours.at(-1))
      expect(lastHour % 3_600_000).toBe(0)
      expect(Date.now() - lastHour).toBeLessThan(3_600_000 + 5000)
      const series = body.numbers.find((n: { e164: string }) => n.e164 === to)
      expect(series.display).toMatch(/^0120-/)
      // This hour's, or the previous one's if an hour began in between.
      const at = series.calls.at(-1) > 0 ? 23 : 22
      expect(series.calls[at]).toBe(3)
      expect(series.verified[at]).toBe(1)
      expect(series.calls.reduce((a: number, b: number) => a + b, 0)).toBe(3)
      expect((await t.app.inject({ url: '/admin/numbers/hourly?hours=6', headers: admin })).json().hours).toHaveLength(6)
      expect((await t.app.inject({ url: '/admin/numbers/hourly?hours=25', headers: admin })).statusCode).toBe(400)
      expect((await t.app.inject({ url: '/admin/numbers/hourly' })).statusCode).toBe(401)
    })

    it('GET /admin/console — the page and its files, with a strict CSP; no other file', async () => {
      t = await buildTestApp(kind)
      const page = await t.app.inject({ url: '/admin/console' })
      expect(page.statusCode).toBe(200)
      expect(page.headers['content-type']).toContain('text/html')
      expect(page.headers['content-security-policy']).toContain("script-src 'self'")
      expect(page.body).toContain('/admin/console/assets/console.js')
      for (const [name, type] of [['console.js', 'text/javascript'], ['console.css', 'text/css'], ['i18n.js', 'text/javascript']]) {
        const asset = await t.app.inject({ url: `/admin/console/assets/${name}` })
        expect(asset.statusCode).toBe(200)
        expect(asset.headers['content-type']).toContain(type)
      }
      for (const name of ['index.html', '..%2F..%2Fconfig.ts', 'nope.js']) {
        expect((await t.app.inject({ url: `/admin/console/assets/${name}` })).statusCode).toBe(404)
      }
    })
  })
}
