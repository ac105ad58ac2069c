import { afterEach, describe, expect, it } from 'vitest'
import { API_KEY, OTHER_API_KEY, STORE_KINDS, bearer, buildTestApp, type TestApp } from '../support/app.js'
import { startReceiver, type Receiver } from './support/receiver.js'

// docs/contract.md "Event callbacks": one tenant's slow or dead receiver never delays another tenant's
// callbacks. Tenant `demo`'s receiver never answers 40 callbacks (each would hold a delivery for
// the whole 10 s timeout); tenant `other`'s callback must not wait for any of them.

const TIMEOUT_MS = 10_000

for (const kind of STORE_KINDS) {
  describe(`callback fairness between tenants (${kind})`, () => {
    let t: TestApp | undefined
    const receivers: Receiver[] = []
    afterEach(async () => {
      // The hanging requests first: their deliveries then fail at once and the workers close.
      await Promise.all(receivers.splice(0).map((r) => r.close()))
      await t?.close()
    })

    async function cancelled(key: string, phoneNumber: string, callbackUrl: string): Promise<void> {
      const v = (await t!.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(key), payload: { phoneNumber, callbackUrl } })).json()
      expect((await t!.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/cancel`, headers: bearer(key) })).statusCode).toBe(200)
    }

    it('callbacks — 40 hanging deliveries of one tenant hold at most its share; another tenant\'s callback goes at once', { timeout: 30_000 }, async () => {
      const dead = await startReceiver(API_KEY, () => 'hang')
      const alive = await startReceiver(OTHER_API_KEY)
      receivers.push(dead, alive)
      t = await buildTestApp(kind, { env: { CALLBACK_TIMEOUT_MS: String(TIMEOUT_MS), CALLBACK_CONCURRENCY: '16', CALLBACK_TENANT_CONCURRENCY: '4' } })
      for (let i = 0; i < 40; i++) await cancelled(API_KEY, `0901234${String(i).padStart(4, '0')}`, dead.url)
      await dead.waitFor((r) => r.received.length === 4, 5000)

      const started = Date.now()
      await cancelled(OTHER_API_KEY, '09099990000', alive.url)
      await alive.waitFor((r) => r.delivered.length === 1, TIMEOUT_MS / 2)
      // Well inside one hanging delivery's timeout: no slot of `other` was held by `demo`.
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS / 2)
      expect(alive.delivered[0]!.json.type).toBe('verification.cancelled')
      // `demo` still holds only its four slots: the other 36 wait their turn, none was sent.
      expect(dead.received).toHaveLength(4)
    })
  })
}
