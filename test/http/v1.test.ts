import { afterEach, describe, expect, it, vi } from 'vitest'
import { API_KEY, OTHER_API_KEY, STORE_KINDS, bearer, buildTestApp, type TestApp } from '../support/app.js'

const PHONE = '09012345678'

for (const kind of STORE_KINDS) {
  describe(`/v1 on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    async function create(body: Record<string, unknown> = { phoneNumber: PHONE }, key = API_KEY) {
      return t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(key), payload: body })
    }
    async function call(v: { verificationNumber: { e164: string } }, from = '+819012345678') {
      return t.store.recordCall({ callSid: `CA${Math.random().toString(16).slice(2).padEnd(32, '0')}`, from, to: v.verificationNumber.e164 })
    }

    it('create — answers 201 with the contract shape, a masked number and a dialable number (R1, R2, R8)', async () => {
      t = await buildTestApp(kind)
      const res = await create({ phoneNumber: PHONE, reference: 'order-42' })
      expect(res.statusCode).toBe(201)
      const body = res.json()
      expect(body).toMatchObject({
        status: 'pending', phoneNumber: { masked: '*******5678' }, windowSeconds: 120, remainingSeconds: 120, calls: 0,
        reference: 'order-42', message: { ja: '認証中（認証着信待ち）', en: 'Waiting for your call' },
      })
      expect(t.config.poolNumbers).toContain(body.verificationNumber.e164)
      expect(body.verificationNumber.telUri).toBe(`tel:${body.verificationNumber.e164}`)
      expect(body.verificationNumber.display).toMatch(/^0120-000-00[123]$/)
      expect(Date.parse(body.expiresAt) - Date.parse(body.createdAt)).toBe(120_000)
      // ≥ 128 random bits each, base64url
      expect(body.id).toMatch(/^vf_[A-Za-z0-9_-]{24}$/)
      expect(body.pollToken).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(JSON.stringify(body)).not.toContain('12345678')
    })

    it('create — refuses numbers that cannot be a registered caller with INVALID_PHONE_NUMBER (R14)', async () => {
      t = await buildTestApp(kind)
      for (const phoneNumber of ['090-1234-5678', '0120000001', '0990123456', '123', '+15551234567', '０９０１２３４５６７８', '090123456789']) {
        const res = await create({ phoneNumber })
        expect(res.statusCode, phoneNumber).toBe(400)
        expect(res.json().error.code).toBe('INVALID_PHONE_NUMBER')
      }
      expect((await create({ phoneNumber: '+819012345678' })).statusCode).toBe(201)
    })

    it('create — answers INVALID_REQUEST for bodies that fail the schema, never a 500', async () => {
      t = await buildTestApp(kind)
      const bodies: unknown[] = [{}, { phoneNumber: [PHONE] }, { phoneNumber: '' }, { phoneNumber: PHONE, extra: 1 },
        { phoneNumber: PHONE, reference: 'x'.repeat(65) }, { phoneNumber: PHONE, callbackUrl: 'not a url' }, [], 'text', null,
        { phoneNumber: { $gt: '' } }, { phoneNumber: PHONE, callbackUrl: 'ftp://example.com/x' }]
      for (const payload of bodies) {
        const res = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: { ...bearer(API_KEY), 'content-type': 'application/json' }, payload: JSON.stringify(payload) })
        expect(res.statusCode, JSON.stringify(payload)).toBe(400)
        expect(res.json().error).toMatchObject({ code: 'INVALID_REQUEST', messageJa: expect.any(String) })
      }
      // A JSON number is read as its digits: 9012345678 lacks the leading 0 of R14.
      const numeric = await create({ phoneNumber: 9012345678 })
      expect(numeric.json().error.code).toBe('INVALID_PHONE_NUMBER')
      const broken = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: { ...bearer(API_KEY), 'content-type': 'application/json' }, payload: '{"phoneNumber":' })
      expect(broken.statusCode).toBe(400)
      expect(broken.json().error.code).toBe('INVALID_REQUEST')
      const xml = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: { ...bearer(API_KEY), 'content-type': 'application/xml' }, payload: '<a/>' })
      expect(xml.statusCode).toBe(415)
      expect(xml.json().error.code).toBe('INVALID_REQUEST')
      const huge = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: { ...bearer(API_KEY), 'content-type': 'application/json' }, payload: JSON.stringify({ phoneNumber: 'x'.repeat(100_000) }) })
      expect(huge.statusCode).toBe(413)
      expect(huge.json().error.code).toBe('INVALID_REQUEST')
    })

    it('auth — a missing or unknown API key is 401 UNAUTHORIZED', async () => {
      t = await buildTestApp(kind)
      for (const headers of [{}, bearer('nope-nope-nope'), { authorization: 'Basic abc' }, { authorization: `Bearer ${API_KEY}x` }]) {
        const res = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers, payload: { phoneNumber: PHONE } })
        expect(res.statusCode).toBe(401)
        expect(res.json().error.code).toBe('UNAUTHORIZED')
      }
    })

    it('get — the owning tenant and the poll token see it; another tenant gets 404; a wrong token 401', async () => {
      t = await buildTestApp(kind)
      const created = (await create()).json()
      const url = `/v1/verifications/${created.id}`
      const byKey = await t.app.inject({ url, headers: bearer(API_KEY) })
      expect(byKey.statusCode).toBe(200)
      expect(byKey.json()).not.toHaveProperty('pollToken')
      const byToken = await t.app.inject({ url, headers: bearer(created.pollToken) })
      expect(byToken.json()).toMatchObject({ id: created.id, status: 'pending' })
      expect((await t.app.inject({ url: `${url}?token=${created.pollToken}` })).statusCode).toBe(401) // ?token= is for the events route only
      expect((await t.app.inject({ url, headers: bearer(OTHER_API_KEY) })).statusCode).toBe(404)
      expect((await t.app.inject({ url, headers: bearer(`${created.pollToken}x`) })).statusCode).toBe(401)
      expect((await t.app.inject({ url })).statusCode).toBe(401)
      const unknown = await t.app.inject({ url: '/v1/verifications/vf_doesnotexist', headers: bearer(API_KEY) })
      expect(unknown.statusCode).toBe(404)
      expect(unknown.json().error.code).toBe('NOT_FOUND')
    })

    it('auth — a request resolves its API key once: the rate limit, the handler and the log line share the answer', async () => {
      t = await buildTestApp(kind)
      const created = (await create()).json()
      const lookups = vi.spyOn(t.app.auth.apiKeys, 'matchDigest')
      for (const headers of [bearer(API_KEY), bearer(created.pollToken), bearer(OTHER_API_KEY)]) {
        lookups.mockClear()
        await t.app.inject({ url: `/v1/verifications/${created.id}`, headers })
        expect(lookups, headers.authorization.slice(0, 12)).toHaveBeenCalledTimes(1)
      }
      lookups.mockClear()
      expect((await create({ phoneNumber: '09087654321' })).statusCode).toBe(201)
      expect(lookups).toHaveBeenCalledTimes(1)
    })

    it('confirm — pending is 409 VERIFICATION_PENDING (R9), verified confirms, again answers 200, a poll token is 403', async () => {
      t = await buildTestApp(kind)
      const created = (await create()).json()
      const url = `/v1/verifications/${created.id}/confirm`
      const early = await t.app.inject({ method: 'POST', url, headers: bearer(API_KEY) })
      expect(early.statusCode).toBe(409)
      expect(early.json().error).toMatchObject({ code: 'VERIFICATION_PENDING', messageJa: '認証中（認証着信待ち）' })
      expect((await call(created)).outcome).toBe('verified')
      const polled = (await t.app.inject({ url: `/v1/verifications/${created.id}`, headers: bearer(created.pollToken) })).json()
      expect(polled).toMatchObject({ status: 'verified', calls: 1, verifiedAt: expect.any(String) })
      const byToken = await t.app.inject({ method: 'POST', url, headers: bearer(created.pollToken) })
      expect(byToken.statusCode).toBe(403)
      expect(byToken.json().error.code).toBe('FORBIDDEN')
      const confirmed = await t.app.inject({ method: 'POST', url, headers: bearer(API_KEY) })
      expect(confirmed.statusCode).toBe(200)
      expect(confirmed.json()).toMatchObject({ status: 'confirmed', confirmedAt: expect.any(String) })
      expect((await t.app.inject({ method: 'POST', url, headers: bearer(API_KEY) })).json().status).toBe('confirmed')
      expect((await t.app.inject({ method: 'POST', url, headers: bearer(OTHER_API_KEY) })).statusCode).toBe(404)
    })

    it('cancel — by poll token or API key; again 200; confirm after cancel 409; cancel after confirm 409 (R10)', async () => {
      t = await buildTestApp(kind)
      const a = (await create()).json()
      const cancelled = await t.app.inject({ method: 'POST', url: `/v1/verifications/${a.id}/cancel`, headers: bearer(a.pollToken) })
      expect(cancelled.statusCode).toBe(200)
      expect(cancelled.json()).toMatchObject({ status: 'cancelled', cancelReason: 'customer', message: { ja: 'API連携認証を中止しました。' } })
      expect((await t.app.inject({ method: 'POST', url: `/v1/verifications/${a.id}/cancel`, headers: bearer(API_KEY) })).statusCode).toBe(200)
      const confirm = await t.app.inject({ method: 'POST', url: `/v1/verifications/${a.id}/confirm`, headers: bearer(API_KEY) })
      expect(confirm.statusCode).toBe(409)
      expect(confirm.json().error.code).toBe('VERIFICATION_CANCELLED')

      const b = (await create({ phoneNumber: '08011112222' })).json()
      await call(b, '+818011112222')
      await t.app.inject({ method: 'POST', url: `/v1/verifications/${b.id}/confirm`, headers: bearer(API_KEY) })
      const late = await t.app.inject({ method: 'POST', url: `/v1/verifications/${b.id}/cancel`, headers: bearer(API_KEY) })
      expect(late.statusCode).toBe(409)
      expect(late.json().error.code).toBe('VERIFICATION_CONFIRMED')
      expect((await t.app.inject({ method: 'POST', url: `/v1/verifications/${b.id}/cancel`, headers: bearer(OTHER_API_KEY) })).statusCode).toBe(404)
    })

    it('create — a new verification for the same tenant and number supersedes the older pending one', async () => {
      t = await buildTestApp(kind)
      const first = (await create()).json()
      const second = (await create()).json()
      const old = (await t.app.inject({ url: `/v1/verifications/${first.id}`, headers: bearer(API_KEY) })).json()
      expect(old).toMatchObject({ status: 'cancelled', cancelReason: 'superseded' })
      expect(second.status).toBe('pending')
      // Another tenant's verification for the same number is left alone, and never shares its number.
      const other = (await create({ phoneNumber: PHONE }, OTHER_API_KEY)).json()
      expect(other.verificationNumber.e164).not.toBe(second.verificationNumber.e164)
      expect((await t.app.inject({ url: `/v1/verifications/${second.id}`, headers: bearer(API_KEY) })).json().status).toBe('pending')
    })

    it('window — after it ends the verification is expired and confirm is 410 VERIFICATION_EXPIRED (R3)', async () => {
      t = await buildTestApp(kind, { env: { WINDOW_SECONDS: kind === 'memory' ? '120' : '1' } })
      const created = (await create()).json()
      await call(created)
      if (kind === 'memory') t.clock.advance(120_001)
      else await new Promise((r) => setTimeout(r, 1100))
      const confirm = await t.app.inject({ method: 'POST', url: `/v1/verifications/${created.id}/confirm`, headers: bearer(API_KEY) })
      expect(confirm.statusCode).toBe(410)
      expect(confirm.json().error).toMatchObject({ code: 'VERIFICATION_EXPIRED', messageJa: '120秒が経過しました。API連携認証の最初に戻って操作してください。' })
      const got = (await t.app.inject({ url: `/v1/verifications/${created.id}`, headers: bearer(created.pollToken) })).json()
      expect(got).toMatchObject({ status: 'expired', remainingSeconds: 0 })
      const cancel = await t.app.inject({ method: 'POST', url: `/v1/verifications/${created.id}/cancel`, headers: bearer(API_KEY) })
      expect(cancel.statusCode).toBe(410)
    })

    it('get — waitSeconds long-polls: answers as soon as the status changes', async () => {
      t = await buildTestApp(kind)
      const created = (await create()).json()
      const started = Date.now()
      const waiting = t.app.inject({ url: `/v1/verifications/${created.id}?waitSeconds=10`, headers: bearer(created.pollToken) })
      setTimeout(() => void call(created), 200)
      const res = await waiting
      expect(res.json().status).toBe('verified')
      expect(Date.now() - started).toBeGreaterThanOrEqual(150)
      expect(Date.now() - started).toBeLessThan(3000)
    })

    it('get — waitSeconds answers after the wait when nothing changes, and rejects waits over 30 s', async () => {
      t = await buildTestApp(kind)
      const created = (await create()).json()
      const started = Date.now()
      const res = await t.app.inject({ url: `/v1/verifications/${created.id}?waitSeconds=1`, headers: bearer(created.pollToken) })
      expect(res.json().status).toBe('pending')
      expect(Date.now() - started).toBeGreaterThanOrEqual(950)
      const tooLong = await t.app.inject({ url: `/v1/verifications/${created.id}?waitSeconds=31`, headers: bearer(created.pollToken) })
      expect(tooLong.statusCode).toBe(400)
      expect(tooLong.json().error.code).toBe('INVALID_REQUEST')
    })
  })
}
