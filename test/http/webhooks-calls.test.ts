import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { loadFixture } from '../../src/carriers/twilio/fixtures.js'
import { REJECT_BUSY_TWIML } from '../../src/carriers/twilio/twiml.js'
import { newCallSid } from '../../src/carriers/twilio/simulate.js'
import { CallverifyError } from '../../src/domain/errors.js'
import type { Store } from '../../src/store/types.js'
import { STORE_KINDS, type TestApp } from '../support/app.js'
import { buildWebhookApp, callsOfKind, getVerification, openVerification, postFixture, postSigned } from '../support/twilio.js'

// The voice answer reveals nothing (docs/contract.md "voice"): every outcome rings as long and answers
// the same bytes; a store failure changes neither; held answers go out when the app closes.

// Long enough that "at once" and "after the ring" stay apart on a loaded two-core machine.
const DELAY = 800
const POOL = '+81120000001'
const matched = loadFixture('voice-matched')
const call = (from: string, to = POOL) => ({ ...matched.params, CallSid: newCallSid(), From: from, Caller: from, To: to, Called: to })

/** The answer as the carrier sees it, minus the Date header. */
function wire(res: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  const { date: _date, ...headers } = res.headers
  return { status: res.statusCode, headers, body: res.body }
}

/** A store that is down for the carrier's writes, the way each store fails. */
function downStore(store: Store, error: () => Error): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'recordWithheldCall') return () => { throw error() } // thrown, not rejected: the route's error handler answers
      if (property === 'recordCall' || property === 'recordCallStatus') return async () => { throw error() }
      return Reflect.get(target, property)
    },
  })
}

for (const kind of STORE_KINDS) {
  describe(`voice answers on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    it('voice — matched, unmatched, unknown To and expired answer byte-identically after the same ring', async () => {
      t = await buildWebhookApp(kind, { RING_DELAY_MS: String(DELAY), POOL_NUMBERS: POOL, WINDOW_SECONDS: kind === 'redis' ? '2' : '120' })
      const late = await openVerification(t, '08011112222')
      if (kind === 'memory') t.clock.advance(120_001)
      else await sleep(2100) // the Redis store judges windows by its own clock
      const id = await openVerification(t, '09012345678')
      const answers = []
      for (const form of [call('+819012345678'), call('+817011112222'), call('+819012345678', '+81120000099'), call('+818011112222')]) {
        const { res, ms } = await postSigned(t, matched.path, form)
        expect(ms).toBeGreaterThanOrEqual(DELAY - 1)
        expect(ms).toBeLessThan(DELAY + 500)
        answers.push(wire(res))
        if (answers.length === 1) expect(await getVerification(t, id)).toMatchObject({ status: 'verified', calls: 1 })
      }
      expect(answers[0]).toMatchObject({ status: 200, body: REJECT_BUSY_TWIML })
      for (const a of answers.slice(1)) expect(a).toEqual(answers[0])
      expect(await getVerification(t, late)).toMatchObject({ status: 'expired', calls: 0 })
      for (const k of ['verified', 'unmatched', 'unknown-number', 'expired']) expect(await callsOfKind(t, k), k).toBe(1)
    })

    it('voice — a caller ID with digits but no valid number rings like an unmatched call and is counted', async () => {
      t = await buildWebhookApp(kind, { RING_DELAY_MS: String(DELAY), POOL_NUMBERS: POOL })
      const { res, ms } = await postSigned(t, matched.path, call('12345'))
      expect(res.body).toBe(REJECT_BUSY_TWIML)
      expect(ms).toBeGreaterThanOrEqual(DELAY - 1)
      expect(await callsOfKind(t, 'unmatched')).toBe(1)
      expect((await t.store.getNumber(POOL))?.callsToday).toBe(1)
    })

    it('voice — the same CallSid posted twice at once verifies once and counts one call', async () => {
      t = await buildWebhookApp(kind, { RING_DELAY_MS: String(DELAY), POOL_NUMBERS: POOL })
      const id = await openVerification(t, '09012345678')
      const both = await Promise.all([postFixture(t, matched), postFixture(t, matched)])
      for (const { res } of both) expect(res.body).toBe(REJECT_BUSY_TWIML)
      expect(await getVerification(t, id)).toMatchObject({ status: 'verified', calls: 1 })
      expect([await callsOfKind(t, 'verified'), await callsOfKind(t, 'duplicate')]).toEqual([1, 1])
      expect((await t.store.getNumber(POOL))?.callsToday).toBe(1)
    })

    for (const [name, error] of [
      ['STORE_UNAVAILABLE', () => new CallverifyError('STORE_UNAVAILABLE')],
      ['any other error', () => new TypeError('boom')],
    ] as const) {
      it(`voice — store down (${name}): still the reject after the ring; withheld and fallback at once; status a 503/500 in the contract's shape`, async () => {
        t = await buildWebhookApp(kind, { RING_DELAY_MS: String(DELAY), POOL_NUMBERS: POOL })
        // A second app in front of t's store, with every store call failing.
        const down = await buildWebhookApp(kind, { RING_DELAY_MS: String(DELAY), POOL_NUMBERS: POOL }, { deps: { store: downStore(t.store, error) } })
        try {
          const voice = await postFixture(down, matched)
          expect(wire(voice.res)).toMatchObject({ status: 200, headers: { 'content-type': 'text/xml' }, body: REJECT_BUSY_TWIML })
          expect(voice.ms).toBeGreaterThanOrEqual(DELAY - 1)
          expect(voice.ms).toBeLessThan(DELAY + 500)
          for (const name of ['voice-withheld-anonymous', 'fallback']) {
            const { res, ms } = await postFixture(down, name)
            expect(res.body, name).toBe(REJECT_BUSY_TWIML)
            expect(ms, name).toBeLessThan(DELAY - 300)
          }
          expect(await callsOfKind(down, 'store-unavailable')).toBe(1)
          const status = await postFixture(down, 'status-busy')
          expect(status.res.statusCode).toBe(name === 'STORE_UNAVAILABLE' ? 503 : 500)
          expect(status.res.json().error.code).toBe(name === 'STORE_UNAVAILABLE' ? 'STORE_UNAVAILABLE' : 'INTERNAL_ERROR')
        } finally {
          await down.close()
        }
      })
    }

    if (kind === 'redis') {
      it('voice — Redis closed under the app: still the reject after the ring; fallback at once', async () => {
        t = await buildWebhookApp(kind, { RING_DELAY_MS: String(DELAY), POOL_NUMBERS: POOL })
        await t.store.close()
        const voice = await postFixture(t, matched)
        expect(voice.res.body).toBe(REJECT_BUSY_TWIML)
        expect(voice.ms).toBeGreaterThanOrEqual(DELAY - 1)
        expect(voice.ms).toBeLessThan(DELAY + 500)
        const fallback = await postFixture(t, 'fallback')
        expect(fallback.res.body).toBe(REJECT_BUSY_TWIML)
        expect(fallback.ms).toBeLessThan(DELAY - 300)
        expect(await callsOfKind(t, 'store-unavailable')).toBe(1)
      })
    }

    it('voice — closing the app answers every held call at once with the reject', async () => {
      t = await buildWebhookApp(kind, { RING_DELAY_MS: '8000', POOL_NUMBERS: POOL })
      const started = performance.now()
      const held = Array.from({ length: 5 }, () => postSigned(t, matched.path, call('+819012345678')))
      while ((await t.app.metrics.heldCalls.get()).values[0]?.value !== 5) await sleep(10)
      await t.app.close()
      for (const { res } of await Promise.all(held)) expect(res.body).toBe(REJECT_BUSY_TWIML)
      expect(performance.now() - started).toBeLessThan(2000)
      expect((await t.app.metrics.heldCalls.get()).values[0]?.value).toBe(0)
    })
  })
}
