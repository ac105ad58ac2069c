import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, STORE_KINDS, buildTestApp, deployment, type TestApp } from '../support/app.js'
import { redisUrl } from '../support/redis.js'

// The operations console's sign-in (POST/GET/DELETE /admin/session) and the session's rules on
// every /admin route: cookie attributes, CSRF, cross-site refusal, expiry, revocation, and
// sessions shared by every instance on one store. app.inject; the browser suite drives the page.

const N1 = '+81120000001'
const SESSION_MS = 8 * 3_600_000

interface Signed { cookie: string; setCookie: string; csrf: string; admin: string }

async function signIn(t: TestApp, token = ADMIN_TOKEN, headers: Record<string, string> = {}): Promise<Signed> {
  const res = await t.app.inject({ method: 'POST', url: '/admin/session', headers, payload: { token } })
  expect(res.statusCode, res.body).toBe(201)
  const setCookie = String(res.headers['set-cookie'])
  return { setCookie, cookie: setCookie.split(';')[0]!, csrf: res.json().csrfToken, admin: res.json().admin }
}

const drain = (t: TestApp, headers: Record<string, string>, payload: unknown = { state: 'draining' }) =>
  t.app.inject({ method: 'PATCH', url: `/admin/numbers/${encodeURIComponent(N1)}`, headers, payload: payload as Record<string, unknown> })

const stateOf = async (t: TestApp) => (await t.store.getNumber(N1))!.state

for (const kind of STORE_KINDS) {
  describe(`/admin/session on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    it('sign-in — an admin token answers the admin, a CSRF token and the tenants, and sets an HttpOnly, SameSite=Strict cookie on /admin for 8 hours', async () => {
      t = await buildTestApp(kind)
      const res = await t.app.inject({ method: 'POST', url: '/admin/session', payload: { token: ADMIN_TOKEN } })
      expect(res.statusCode).toBe(201)
      const body = res.json()
      expect(body).toMatchObject({ admin: 'alice', tenants: ['demo', 'other'] })
      expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(SESSION_MS - 60_000)
      const cookie = String(res.headers['set-cookie'])
      expect(cookie).toMatch(/^callverify_admin=[A-Za-z0-9_-]{43}; Path=\/admin; Max-Age=28800; HttpOnly; SameSite=Strict$/)
      expect(res.body).not.toContain(cookie.split(';')[0]!.split('=')[1]!)
      const me = await t.app.inject({ url: '/admin/session', headers: { cookie: cookie.split(';')[0]! } })
      expect(me.json()).toMatchObject({ admin: 'alice', csrfToken: body.csrfToken })
      const audit = (await t.store.listAudit(10))[0]
      expect(audit).toMatchObject({ actor: 'alice', action: 'session.open' })
    })

    it('sign-in — a wrong token, an API key or no token signs nobody in: 401/400, no cookie', async () => {
      t = await buildTestApp(kind)
      for (const token of ['wrong-token', 'dev-api-key', `${ADMIN_TOKEN} `]) {
        const res = await t.app.inject({ method: 'POST', url: '/admin/session', payload: { token } })
        expect(res.statusCode).toBe(401)
        expect(res.json().error.code).toBe('UNAUTHORIZED')
        expect(res.headers['set-cookie']).toBeUndefined()
      }
      expect((await t.app.inject({ method: 'POST', url: '/admin/session', payload: {} })).statusCode).toBe(400)
      expect((await t.app.inject({ url: '/admin/numbers', headers: { cookie: 'callverify_admin=forged' } })).statusCode).toBe(401)
    })

    it('sign-in — 20 attempts per client address per 15 minutes; the 21st is refused even with the right token', async () => {
      t = await buildTestApp(kind)
      for (let i = 0; i < 20; i++) expect((await t.app.inject({ method: 'POST', url: '/admin/session', payload: { token: `guess-${i}` } })).statusCode).toBe(401)
      const res = await t.app.inject({ method: 'POST', url: '/admin/session', payload: { token: ADMIN_TOKEN } })
      expect(res.statusCode).toBe(429)
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      expect(res.headers['set-cookie']).toBeUndefined()
      const elsewhere = await t.app.inject({ method: 'POST', url: '/admin/session', remoteAddress: '10.0.0.9', payload: { token: ADMIN_TOKEN } })
      expect(elsewhere.statusCode).toBe(201)
    })

    it('CSRF — a change on the session without X-CSRF-Token, or with another, is 403 and changes nothing; with it, done and audited by name', async () => {
      t = await buildTestApp(kind)
      const s = await signIn(t)
      expect((await t.app.inject({ url: '/admin/numbers', headers: { cookie: s.cookie } })).statusCode).toBe(200)
      const attempts: Record<string, string>[] = [{ cookie: s.cookie }, { cookie: s.cookie, 'x-csrf-token': 'not-it' }, { cookie: s.cookie, 'x-csrf-token': '' }]
      for (const headers of attempts) {
        const res = await drain(t, headers)
        expect(res.statusCode).toBe(403)
        expect(res.json().error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('X-CSRF-Token') })
      }
      // Another session's token is not this one's.
      const other = await signIn(t)
      expect((await drain(t, { cookie: s.cookie, 'x-csrf-token': other.csrf })).statusCode).toBe(403)
      expect(await stateOf(t)).toBe('active')
      const res = await drain(t, { cookie: s.cookie, 'x-csrf-token': s.csrf })
      expect(res.statusCode).toBe(200)
      expect(await stateOf(t)).toBe('draining')
      expect((await t.store.listAudit(1))[0]).toMatchObject({ actor: 'alice', action: 'numbers.update', target: N1 })
    })

    it('cross-site — a form POST from another origin (urlencoded, no CSRF header) and any request with a foreign Origin or Sec-Fetch-Site are refused', async () => {
      t = await buildTestApp(kind)
      const s = await signIn(t)
      const form = await t.app.inject({
        method: 'POST', url: '/admin/maintenance',
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
        payload: `startsAt=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}&endsAt=${encodeURIComponent(new Date(Date.now() + 7_200_000).toISOString())}&note=x`,
      })
      expect(form.statusCode).toBe(403)
      expect((await drain(t, { cookie: s.cookie, 'x-csrf-token': s.csrf, origin: 'https://evil.example' })).statusCode).toBe(403)
      expect((await drain(t, { cookie: s.cookie, 'x-csrf-token': s.csrf, 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403)
      expect((await t.app.inject({ url: '/admin/numbers', headers: { cookie: s.cookie, 'sec-fetch-site': 'cross-site' } })).statusCode).toBe(403)
      expect((await t.app.inject({ method: 'POST', url: '/admin/session', headers: { origin: 'https://evil.example' }, payload: { token: ADMIN_TOKEN } })).statusCode).toBe(403)
      expect(await t.store.listMaintenance()).toEqual([])
      expect(await stateOf(t)).toBe('active')
      // Its own origin (PUBLIC_BASE_URL, or the Host it was reached by) is fine.
      expect((await drain(t, { cookie: s.cookie, 'x-csrf-token': s.csrf, origin: t.config.publicBaseUrl, 'sec-fetch-site': 'same-origin' })).statusCode).toBe(200)
    })

    it('sign-out — needs the CSRF token; then the session is gone from the store and the cookie is cleared', async () => {
      t = await buildTestApp(kind)
      const s = await signIn(t)
      expect((await t.app.inject({ method: 'DELETE', url: '/admin/session', headers: { cookie: s.cookie } })).statusCode).toBe(403)
      expect((await t.app.inject({ url: '/admin/numbers', headers: { cookie: s.cookie } })).statusCode).toBe(200)
      const out = await t.app.inject({ method: 'DELETE', url: '/admin/session', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } })
      expect(out.statusCode).toBe(204)
      expect(String(out.headers['set-cookie'])).toBe('callverify_admin=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Strict')
      expect((await t.app.inject({ url: '/admin/numbers', headers: { cookie: s.cookie } })).statusCode).toBe(401)
      expect((await t.app.inject({ url: '/admin/session', headers: { cookie: s.cookie } })).statusCode).toBe(401)
      expect((await t.store.listAudit(1))[0]).toMatchObject({ actor: 'alice', action: 'session.close' })
    })

    it('cookie — Secure when the service is served over https', async () => {
      t = await buildTestApp(kind, { env: { PUBLIC_BASE_URL: 'https://verify.example.jp' } })
      const s = await signIn(t)
      expect(s.setCookie).toMatch(/; HttpOnly; SameSite=Strict; Secure$/)
    })

    it('Bearer — the admin token still works without a session, and needs no CSRF token (the CLI)', async () => {
      t = await buildTestApp(kind)
      expect((await drain(t, { authorization: `Bearer ${ADMIN_TOKEN}` })).statusCode).toBe(200)
    })
  })
}

describe('/admin/session — time and instances', () => {
  let t: TestApp
  afterEach(async () => t?.close())

  it('expiry — the session works until 8 hours after sign-in, and not a moment later (memory clock)', async () => {
    t = await buildTestApp('memory')
    const s = await signIn(t)
    t.clock.advance(SESSION_MS - 1000)
    expect((await t.app.inject({ url: '/admin/numbers', headers: { cookie: s.cookie } })).statusCode).toBe(200)
    t.clock.advance(1000)
    expect((await t.app.inject({ url: '/admin/numbers', headers: { cookie: s.cookie } })).statusCode).toBe(401)
    expect((await drain(t, { cookie: s.cookie, 'x-csrf-token': s.csrf })).statusCode).toBe(401)
  })

  it('instances — a session opened on one instance works on another; a revoked or rotated admin token ends it; the store holds neither token nor cookie', async () => {
    const d = deployment()
    try {
      const a = await d.instance()
      const b = await d.instance()
      const rotated = await d.instance({ env: { ADMIN_TOKENS: 'alice:a-new-token-for-alice' } })
      const revoked = await d.instance({ env: { ADMIN_TOKENS: 'bob:bobs-token' } })
      const s = await signIn(a)
      expect((await drain(b, { cookie: s.cookie, 'x-csrf-token': s.csrf })).statusCode).toBe(200)
      expect((await rotated.app.inject({ url: '/admin/numbers', headers: { cookie: s.cookie } })).statusCode).toBe(401)
      expect((await revoked.app.inject({ url: '/admin/numbers', headers: { cookie: s.cookie } })).statusCode).toBe(401)
      const redis = new Redis(redisUrl())
      try {
        const keys = await redis.keys(`${d.keyPrefix}session:*`)
        expect(keys).toHaveLength(1)
        const stored = (await redis.get(keys[0]!))!
        expect(JSON.parse(stored)).toMatchObject({ admin: 'alice', csrfToken: s.csrf })
        const cookieValue = s.cookie.split('=')[1]!
        for (const secret of [ADMIN_TOKEN, cookieValue]) {
          expect(stored).not.toContain(secret)
          expect(keys[0]).not.toContain(secret)
        }
        const ttl = await redis.pttl(keys[0]!)
        expect(ttl).toBeGreaterThan(SESSION_MS - 60_000)
        expect(ttl).toBeLessThanOrEqual(SESSION_MS)
      } finally {
        redis.disconnect()
      }
    } finally {
      await d.close()
    }
  })
})
