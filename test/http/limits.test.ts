import { afterEach, describe, expect, it, vi } from 'vitest'
import { API_KEY, STORE_KINDS, bearer, buildTestApp, type TestApp } from '../support/app.js'

// Issue 14 item 7: work an unauthenticated caller can cause is bounded. A request with a missing
// or wrong credential counts against its client address on every /v1 route, before any store
// step of its own; event streams are capped per verification and per address; callbackUrl is
// at most 2,048 characters.

const WRONG = bearer('not-a-key-of-anyone')

async function create(t: TestApp, phoneNumber = '09012345678', extra: Record<string, unknown> = {}) {
  return t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber, ...extra } })
}

/** An SSE request held open; the status is all a limit test needs. */
async function stream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController()
  const res = await fetch(url, { headers, signal: controller.signal })
  if (res.status !== 200) await res.body?.cancel()
  return { status: res.status, res, close: () => controller.abort() }
}

for (const kind of STORE_KINDS) {
  describe(`limits for unauthenticated callers on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    it('wrong or missing credential — counted per client address on confirm, cancel, create, poll and events; the store is not reached past the limit', async () => {
      t = await buildTestApp(kind, { env: { RATE_LIMIT_CLIENT_PER_MINUTE: '2' } })
      const v = (await create(t)).json()
      const reads = vi.spyOn(t.store, 'getVerification')
      const cancels = vi.spyOn(t.store, 'cancelVerification')
      const confirms = vi.spyOn(t.store, 'confirmVerification')
      const routes = [
        { method: 'POST', url: `/v1/verifications/${v.id}/confirm` },
        { method: 'POST', url: `/v1/verifications/${v.id}/cancel` },
        { method: 'POST', url: '/v1/verifications', payload: { phoneNumber: '09012345678' } },
        { method: 'GET', url: `/v1/verifications/${v.id}` },
        { method: 'GET', url: `/v1/verifications/${v.id}/events` },
      ] as const
      for (const [i, route] of routes.entries()) {
        const remoteAddress = `198.51.100.${i + 1}`
        for (const headers of [WRONG, {}]) {
          const res = await t.app.inject({ ...route, headers, remoteAddress })
          expect(res.statusCode, `${route.method} ${route.url}`).toBe(401)
        }
        reads.mockClear()
        const limited = await t.app.inject({ ...route, headers: WRONG, remoteAddress })
        expect(limited.statusCode, `${route.method} ${route.url}`).toBe(429)
        expect(limited.json().error.code).toBe('TOO_MANY_REQUESTS')
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
        // The status poll counts inside its own read script, which refuses before it reads
        // (one round trip; test/http/ratelimit.test.ts); every other route is refused before its store step.
        if (route.url !== `/v1/verifications/${v.id}`) expect(reads, `${route.method} ${route.url} read the store past the limit`).not.toHaveBeenCalled()
      }
      expect(cancels).not.toHaveBeenCalled()
      expect(confirms).not.toHaveBeenCalled()
      // The bank's backend, with its key, is counted apart and carries on.
      expect((await t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/cancel`, headers: bearer(API_KEY), remoteAddress: '198.51.100.1' })).statusCode).toBe(200)
    })

    it('events — at most 5 open streams per verification: the 6th answers 429; closing one frees a slot', async () => {
      t = await buildTestApp(kind)
      const base = await t.app.listen({ port: 0, host: '127.0.0.1' })
      const v = (await create(t)).json()
      const url = `${base}/v1/verifications/${v.id}/events`
      const open = []
      for (let i = 0; i < 5; i++) open.push(await stream(url, bearer(v.pollToken)))
      expect(open.map((s) => s.status)).toEqual([200, 200, 200, 200, 200])
      const sixth = await stream(url, bearer(v.pollToken))
      expect(sixth.status).toBe(429)
      open.pop()!.close()
      await vi.waitFor(async () => {
        const again = await stream(url, bearer(v.pollToken))
        expect(again.status).toBe(200)
        open.push(again)
      }, { timeout: 2000, interval: 50 })
      for (const s of open) s.close()
    })

    it('events — at most 50 open streams per client address: the 51st answers 429, another address still connects', async () => {
      t = await buildTestApp(kind, { env: { TRUST_PROXY: '1' } })
      const base = await t.app.listen({ port: 0, host: '127.0.0.1' })
      const open = []
      for (let n = 0; n < 11; n++) {
        const v = (await create(t, `090123456${String(n).padStart(2, '0')}`)).json()
        const url = `${base}/v1/verifications/${v.id}/events`
        const from = { ...bearer(v.pollToken), 'x-forwarded-for': '203.0.113.7' }
        for (let i = 0; i < (n < 10 ? 5 : 1); i++) open.push(await stream(url, from))
        if (n === 10) {
          expect(open.filter((s) => s.status === 200)).toHaveLength(50)
          expect(open.at(-1)!.status).toBe(429)
          expect((await stream(url, { ...from, 'x-forwarded-for': '203.0.113.8' })).status).toBe(200)
        }
      }
      for (const s of open) s.close()
    })
  })
}

describe('callbackUrl length', () => {
  let t: TestApp
  afterEach(async () => t?.close())

  it('create — a callbackUrl over 2,048 characters is refused (400), one of 2,048 is taken', async () => {
    t = await buildTestApp('memory')
    const url = (length: number) => `https://bank.example/${'a'.repeat(length - 'https://bank.example/'.length)}`
    const long = await create(t, '09012345678', { callbackUrl: url(2049) })
    expect(long.statusCode).toBe(400)
    expect(long.json().error.code).toBe('INVALID_REQUEST')
    expect((await create(t, '09012345678', { callbackUrl: url(2048) })).statusCode).toBe(201)
  })
})
