import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { configProblems } from '../support/production.js'
import { API_KEY, bearer, buildTestApp, type TestApp } from '../support/app.js'

// docs/contract.md "CORS": the poll-token routes (GET, events, cancel) answer the origins of
// CORS_ORIGINS, preflight included; the API-key routes never send CORS headers.

const BANK = 'https://bank.example'
const STRANGER = 'https://evil.example'

const problems = configProblems

const preflight = (t: TestApp, method: string, url: string, origin = BANK) =>
  t.app.inject({ method: 'OPTIONS', url, headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization' } })

describe('CORS — CORS_ORIGINS=https://bank.example', () => {
  let t: TestApp
  let id: string
  let pollToken: string
  beforeAll(async () => {
    t = await buildTestApp('memory', { env: { CORS_ORIGINS: BANK } })
    const res = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09012345678' } })
    ;({ id, pollToken } = res.json<{ id: string; pollToken: string }>())
  })
  afterAll(async () => { await t?.close() })

  it('poll-token routes — preflight and answer name the bank origin, with no credentials', async () => {
    for (const [method, url] of [['GET', `/v1/verifications/${id}`], ['GET', `/v1/verifications/${id}/events`], ['POST', `/v1/verifications/${id}/cancel`]] as const) {
      const res = await preflight(t, method, url)
      expect(res.statusCode, url).toBe(204)
      expect(res.headers['access-control-allow-origin']).toBe(BANK)
      expect(String(res.headers['access-control-allow-methods'])).toContain(method)
      expect(String(res.headers['access-control-allow-headers'])).toContain('Authorization')
      expect(res.headers['access-control-allow-credentials']).toBeUndefined()
    }
    const get = await t.app.inject({ url: `/v1/verifications/${id}`, headers: { ...bearer(pollToken), origin: BANK } })
    expect(get.statusCode).toBe(200)
    expect(get.headers['access-control-allow-origin']).toBe(BANK)
    expect(get.headers['access-control-expose-headers']).toContain('Retry-After')
    // An error answer carries the header too, or the page could not read its code.
    const refused = await t.app.inject({ url: `/v1/verifications/${id}`, headers: { ...bearer('wrong-token'), origin: BANK } })
    expect(refused.statusCode).toBe(401)
    expect(refused.headers['access-control-allow-origin']).toBe(BANK)
  })

  it('poll-token routes — a preflight for a method the path does not take, or with no method, finds no route', async () => {
    for (const [method, url] of [['POST', `/v1/verifications/${id}`], ['GET', `/v1/verifications/${id}/cancel`], ['DELETE', `/v1/verifications/${id}`]] as const) {
      const res = await preflight(t, method, url)
      expect(res.statusCode, `${method} ${url}`).toBe(404)
      expect(res.headers['access-control-allow-origin']).toBeUndefined()
    }
    const bare = await t.app.inject({ method: 'OPTIONS', url: `/v1/verifications/${id}`, headers: { origin: BANK } })
    expect(bare.statusCode).toBe(404)
    expect((await preflight(t, 'HEAD', `/v1/verifications/${id}/events`)).statusCode).toBe(204)
  })

  it('poll-token routes — another origin gets no CORS headers', async () => {
    const get = await t.app.inject({ url: `/v1/verifications/${id}`, headers: { ...bearer(pollToken), origin: STRANGER } })
    expect(get.headers['access-control-allow-origin']).toBeUndefined()
    expect((await preflight(t, 'GET', `/v1/verifications/${id}`, STRANGER)).headers['access-control-allow-origin']).toBeUndefined()
  })

  it('API-key routes — never a CORS header, and their preflight is refused', async () => {
    for (const [method, url] of [['POST', '/v1/verifications'], ['POST', `/v1/verifications/${id}/confirm`], ['GET', '/v1/service-status']] as const) {
      const res = await preflight(t, method, url)
      expect(res.statusCode, url).toBe(404)
      expect(res.headers['access-control-allow-origin']).toBeUndefined()
    }
    const create = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: { ...bearer(API_KEY), origin: BANK }, payload: { phoneNumber: '09012345670' } })
    expect(create.statusCode).toBe(201)
    expect(Object.keys(create.headers).filter((h) => h.startsWith('access-control-'))).toEqual([])
    const confirm = await t.app.inject({ method: 'POST', url: `/v1/verifications/${id}/confirm`, headers: { ...bearer(API_KEY), origin: BANK } })
    expect(confirm.statusCode).toBe(409)
    expect(Object.keys(confirm.headers).filter((h) => h.startsWith('access-control-'))).toEqual([])
  })
})

describe('CORS — configuration', () => {
  it('dev default * answers any origin', async () => {
    const t = await buildTestApp('memory')
    try {
      expect(t.config.corsOrigins).toEqual(['*'])
      expect((await preflight(t, 'GET', '/v1/verifications/vf_x', STRANGER)).headers['access-control-allow-origin']).toBe('*')
    } finally {
      await t.close()
    }
  })

  it('production refuses *, and without CORS_ORIGINS answers no origin', () => {
    const prod = { NODE_ENV: 'production', CORS_ORIGINS: '*' }
    expect(problems(prod).join('\n')).toContain('CORS_ORIGINS cannot be * in production')
    expect(problems({ ...prod, CORS_ORIGINS: BANK }).join('\n')).not.toContain('CORS_ORIGINS')
    expect(problems({ NODE_ENV: 'production' }).join('\n')).not.toContain('CORS_ORIGINS')
  })

  it('each origin must be scheme://host[:port]', () => {
    expect(loadConfig({ CORS_ORIGINS: `${BANK}, http://localhost:8080` }).corsOrigins).toEqual([BANK, 'http://localhost:8080'])
    for (const bad of ['bank.example', 'https://bank.example/', 'https://bank.example/login', 'ftp://bank.example']) {
      expect(problems({ CORS_ORIGINS: bad }).join('\n'), bad).toContain('CORS_ORIGINS')
    }
  })
})
