import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { loggerOptions } from '../../src/logging.js'
import { ADMIN_TOKEN, API_KEY, STORE_KINDS, bearer, buildTestApp, type TestApp } from '../support/app.js'

// /admin/locks (staff help with the day lock, R11), /admin/audit, and the admin auth of every
// pool, lock and audit route, on both stores.

const NOON_JST = Date.parse('2026-06-10T03:00:00Z')
const admin = bearer(ADMIN_TOKEN)
const PHONE = '09012345678'

for (const kind of STORE_KINDS) {
  describe(`/admin/locks and /admin/audit on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    /** Two failures with LOCK_AFTER_FAILURES=2: a superseded verification, then a cancelled one. */
    async function lockOut(): Promise<void> {
      t = await buildTestApp(kind, { startAt: NOON_JST, env: { LOCK_AFTER_FAILURES: '2' } })
      const create = () => t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: PHONE } })
      await create()
      const second = (await create()).json()
      await t.app.inject({ method: 'POST', url: `/v1/verifications/${second.id}/cancel`, headers: bearer(API_KEY) })
      expect((await create()).statusCode).toBe(423)
    }
    const lock = (method: 'GET' | 'DELETE', phone = PHONE, query = '?tenant=demo') =>
      t.app.inject({ method, url: `/admin/locks/${encodeURIComponent(phone)}${query}`, headers: admin })

    it('GET — shows the lock, until the next Japan midnight, and the failures; the number masked only', async () => {
      await lockOut()
      const res = await lock('GET')
      expect(res.statusCode).toBe(200)
      const body = res.json()
      expect(body).toMatchObject({ tenant: 'demo', phoneNumber: { masked: '*******5678' }, locked: true, failures: 2 })
      expect(new Date(body.lockedUntil).getUTCHours()).toBe(15) // 00:00 JST
      expect(res.body).not.toContain('12345678')
      // The same lock by its E.164 form; another tenant's is its own.
      expect((await lock('GET', '+819012345678')).json().locked).toBe(true)
      expect((await lock('GET', PHONE, '?tenant=other')).json()).toMatchObject({ locked: false, failures: 0 })
    })

    it('DELETE — lifts the lock and clears the failures; creates work again; audited masked', async () => {
      await lockOut()
      const res = await lock('DELETE')
      expect(res.json()).toMatchObject({ locked: false, failures: 0, lifted: true, phoneNumber: { masked: '*******5678' } })
      expect((await lock('GET')).json()).toMatchObject({ locked: false, failures: 0 })
      const again = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: PHONE } })
      expect(again.statusCode).toBe(201)
      expect((await lock('DELETE')).json().lifted).toBe(false)
      const audit = await t.app.inject({ url: '/admin/audit', headers: admin })
      expect(audit.json().entries[1]).toMatchObject({ actor: 'alice', action: 'locks.clear', target: 'demo:*******5678', before: { locked: true, failures: 2 }, after: { locked: false } })
      expect(audit.body).not.toContain('12345678')
    })

    it('GET/DELETE — the number reaches no log line, in any form', async () => {
      const lines: string[] = []
      const stream = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done() } })
      t = await buildTestApp(kind, { deps: { logger: { ...(loggerOptions('debug') as object), stream } } })
      for (const phone of [PHONE, '+819012345678', '0901234567x']) {
        await lock('GET', phone)
        await lock('DELETE', phone)
      }
      expect(lines.length).toBeGreaterThan(0)
      for (const form of ['12345678', '0901234567x']) expect(lines.join('\n')).not.toContain(form)
    })

    it('GET/DELETE — invalid numbers → 400 INVALID_PHONE_NUMBER without echoing them; unknown or missing tenant → 400', async () => {
      t = await buildTestApp(kind)
      for (const phone of ['0120000001', '090-1234-5678', '12345']) {
        const res = await lock('GET', phone)
        expect(res.json().error.code, phone).toBe('INVALID_PHONE_NUMBER')
        expect(res.body).not.toContain(phone)
      }
      expect((await lock('DELETE', PHONE, '?tenant=nobody')).json().error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('API_KEYS') })
      expect((await lock('GET', PHONE, '')).json().error.code).toBe('INVALID_REQUEST')
    })

    it('audit — newest first, limit bounded 1..1000', async () => {
      t = await buildTestApp(kind)
      for (const label of ['a', 'b', 'c']) await t.app.inject({ method: 'PATCH', url: '/admin/numbers/%2B81120000001', headers: admin, payload: { label } })
      const entries = (await t.app.inject({ url: '/admin/audit?limit=2', headers: admin })).json().entries
      expect(entries.map((e: { after: { label: string } }) => e.after.label)).toEqual(['c', 'b'])
      expect((await t.app.inject({ url: '/admin/audit?limit=0', headers: admin })).statusCode).toBe(400)
      expect((await t.app.inject({ url: '/admin/audit?limit=1001', headers: admin })).statusCode).toBe(400)
    })

    it('auth — every pool, lock and audit route: 401 without an admin token, 403 with an API key; nothing changes', async () => {
      t = await buildTestApp(kind)
      const routes = [
        { method: 'GET', url: '/admin/numbers' },
        { method: 'POST', url: '/admin/numbers', payload: { e164: '+81120000004' } },
        { method: 'PATCH', url: '/admin/numbers/%2B81120000001', payload: { state: 'retired' } },
        { method: 'POST', url: '/admin/numbers/sync' },
        { method: 'GET', url: `/admin/locks/${PHONE}?tenant=demo` },
        { method: 'DELETE', url: `/admin/locks/${PHONE}?tenant=demo` },
        { method: 'GET', url: '/admin/audit' },
      ] as const
      for (const route of routes) {
        for (const [headers, status, code] of [[{}, 401, 'UNAUTHORIZED'], [bearer('wrong-token'), 401, 'UNAUTHORIZED'], [bearer(API_KEY), 403, 'FORBIDDEN']] as const) {
          const res = await t.app.inject({ ...route, headers })
          expect(res.statusCode, `${route.method} ${route.url}`).toBe(status)
          expect(res.json().error.code).toBe(code)
        }
      }
      expect((await t.app.inject({ url: '/admin/numbers', headers: admin })).json().numbers).toHaveLength(3)
      expect((await t.store.getNumber('+81120000001'))?.state).toBe('active')
      expect(await t.store.listAudit(10)).toEqual([])
    })

    it('openapi — documents the pool, sync, lock and audit routes with response schemas', async () => {
      t = await buildTestApp(kind)
      const doc = (await t.app.inject({ url: '/openapi.json' })).json()
      for (const [path, method] of [['/admin/numbers', 'get'], ['/admin/numbers', 'post'], ['/admin/numbers/{e164}', 'patch'], ['/admin/numbers/sync', 'post'],
        ['/admin/locks/{phoneNumber}', 'get'], ['/admin/locks/{phoneNumber}', 'delete'], ['/admin/audit', 'get']]) {
        expect(doc.paths[path!]?.[method!]?.responses, `${method} ${path}`).toBeDefined()
      }
      expect(doc.paths['/admin/numbers'].get.responses['200'].content['application/json'].schema.properties.numbers.items.properties.health).toBeDefined()
    })
  })
}
