import { afterEach, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, API_KEY, bearer, buildTestApp, type TestApp } from '../support/app.js'

// The queues dashboard (@bull-board) at /admin/queues: Redis mode only, every part of it
// (page, static assets, API) behind an admin token, by Bearer header or by the session cookie
// that `?token=` sets once; changes made on it are audited.

let t: TestApp | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

async function session(app: TestApp): Promise<string> {
  const res = await app.app.inject({ url: `/admin/queues?token=${ADMIN_TOKEN}` })
  expect(res.statusCode).toBe(303)
  expect(res.headers.location).toBe('/admin/queues')
  const cookie = String(res.headers['set-cookie'])
  expect(cookie).toMatch(/^callverify_queues=[^;]+; Path=\/admin\/queues; Max-Age=\d+; HttpOnly; SameSite=Strict$/)
  expect(cookie).not.toContain(ADMIN_TOKEN)
  return cookie.split(';')[0]!
}

describe('/admin/queues', () => {
  it('dashboard — lists the health, callbacks and expiry queues to an admin token (Bearer)', async () => {
    t = await buildTestApp('redis')
    const res = await t.app.inject({ url: '/admin/queues/api/queues', headers: bearer(ADMIN_TOKEN) })
    expect(res.statusCode).toBe(200)
    const names = res.json().queues.map((q: { name: string }) => q.name)
    expect(names).toEqual(expect.arrayContaining(['health', 'callbacks', 'expiry']))
  })

  it('dashboard — ?token= sets a session cookie and redirects without the token; the cookie opens page, assets and API', async () => {
    t = await buildTestApp('redis')
    const cookie = await session(t)
    const page = await t.app.inject({ url: '/admin/queues', headers: { cookie } })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toContain('text/html')
    expect((await t.app.inject({ url: '/admin/queues/static/favicon.ico', headers: { cookie } })).statusCode).toBe(200)
    expect((await t.app.inject({ url: '/admin/queues/api/queues', headers: { cookie } })).statusCode).toBe(200)
  })

  it('dashboard — without a credential, with a forged cookie or a wrong token: 401; with an API key: 403; assets too', async () => {
    t = await buildTestApp('redis')
    const cookie = await session(t)
    const forged = cookie.replace(/alice/, 'mallory')
    const tampered = `${cookie.slice(0, -2)}xx`
    for (const url of ['/admin/queues', '/admin/queues/static/favicon.ico', '/admin/queues/api/queues', '/admin/queues/queue/health']) {
      for (const headers of [{}, { cookie: forged }, { cookie: tampered }, bearer('wrong-token')]) {
        const res = await t.app.inject({ url, headers })
        expect(res.statusCode, `${url} ${JSON.stringify(headers)}`).toBe(401)
        expect(res.json().error).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('?token=') })
      }
      expect((await t.app.inject({ url, headers: bearer(API_KEY) })).json().error.code).toBe('FORBIDDEN')
      expect((await t.app.inject({ url: `${url}?token=${API_KEY}` })).statusCode).toBe(403)
    }
  })

  it('dashboard — a change made on the board (pause a queue) is audited with the admin name', async () => {
    t = await buildTestApp('redis')
    const res = await t.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/health/pause', headers: bearer(ADMIN_TOKEN) })
    expect(res.statusCode).toBe(200)
    const [entry] = await t.store.listAudit(1)
    expect(entry).toMatchObject({ actor: 'alice', action: 'queues.put', target: '/admin/queues/api/queues/:queueName/pause', after: { queueName: 'health' } })
  })

  it('dashboard — not served in memory mode (there are no queues)', async () => {
    t = await buildTestApp('memory')
    expect((await t.app.inject({ url: '/admin/queues', headers: bearer(ADMIN_TOKEN) })).statusCode).toBe(404)
  })
})
