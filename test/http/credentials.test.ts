import { afterEach, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, API_KEY, bearer, buildTestApp, type TestApp } from '../support/app.js'

// Query strings end up in proxy and access logs: API keys and admin tokens are taken from the
// Authorization header only; `?token=` carries a poll token on the events route alone (EventSource
// cannot send headers).
describe('credentials', () => {
  let t: TestApp
  afterEach(async () => t?.close())

  it('auth — an API key in ?token= is not accepted', async () => {
    t = await buildTestApp('memory')
    const res = await t.app.inject({ method: 'POST', url: `/v1/verifications?token=${API_KEY}`, payload: { phoneNumber: '09012345678' } })
    expect(res.statusCode).toBe(401)
    const created = (await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09012345678' } })).json()
    expect((await t.app.inject({ url: `/v1/verifications/${created.id}?token=${API_KEY}` })).statusCode).toBe(401)
  })

  it('auth — ?token= carries a poll token on the events route only: GET and cancel take it from the header', async () => {
    t = await buildTestApp('memory')
    const created = (await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09012345678' } })).json()
    const url = `/v1/verifications/${created.id}`
    expect((await t.app.inject({ url: `${url}?token=${created.pollToken}` })).statusCode).toBe(401)
    expect((await t.app.inject({ method: 'POST', url: `${url}/cancel?token=${created.pollToken}` })).statusCode).toBe(401)
    expect((await t.app.inject({ url, headers: bearer(API_KEY) })).json().status).toBe('pending')
    expect((await t.app.inject({ url, headers: bearer(created.pollToken) })).statusCode).toBe(200)
    // EventSource cannot send headers: the events route alone takes ?token= (test/http/events.test.ts streams with it).
    const events = await t.app.inject({ url: `${url}/events?token=wrong` })
    expect(events.statusCode).toBe(401)
  })

  it('admin — an admin token in ?token= is not accepted, and 401 comes before the body is read', async () => {
    t = await buildTestApp('memory')
    expect((await t.app.inject({ url: `/admin/numbers?token=${ADMIN_TOKEN}` })).statusCode).toBe(401)
    const bad = await t.app.inject({ method: 'POST', url: '/admin/numbers', payload: { nonsense: true } })
    expect(bad.statusCode).toBe(401)
    expect(bad.json().error.code).toBe('UNAUTHORIZED')
    expect((await t.app.inject({ url: '/admin/numbers', headers: bearer(ADMIN_TOKEN) })).statusCode).toBe(200)
  })
})
