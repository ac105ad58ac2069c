import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { ADMIN_TOKEN, bearer, buildTestApp, STORE_KINDS, TEST_ENV, type TestApp } from '../support/app.js'

// A pool number's carrier (docs/contract.md "Carriers", "/admin"): POOL_NUMBERS `+81…@telnyx`, the admin
// API's add, patch and list, and the pool health metric's label.

const admin = bearer(ADMIN_TOKEN)

describe('POOL_NUMBERS carriers', () => {
  it('config — +81…@telnyx names the carrier; the default is twilio; an unknown carrier is refused by name', () => {
    const config = loadConfig({ ...TEST_ENV, POOL_NUMBERS: '+81120000001, +81120000002@telnyx ,+81120000003@Plivo' })
    expect(config.pool).toEqual([{ e164: '+81120000001', carrier: 'twilio' }, { e164: '+81120000002', carrier: 'telnyx' }, { e164: '+81120000003', carrier: 'plivo' }])
    expect(config.poolNumbers).toEqual(['+81120000001', '+81120000002', '+81120000003'])
    expect(() => loadConfig({ ...TEST_ENV, POOL_NUMBERS: '+81120000001@vonage' })).toThrow(/"\+81120000001@vonage" names no known carrier/)
  })
})

for (const kind of STORE_KINDS) {
  describe(`pool number carrier on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    it('admin — list shows each carrier; add takes one; patch changes it; an unknown carrier is 400 and changes nothing', async () => {
      t = await buildTestApp(kind, { env: { POOL_NUMBERS: '+81120000001,+81120000002@telnyx' } })
      const list = (await t.app.inject({ method: 'GET', url: '/admin/numbers', headers: admin })).json()
      expect(list.numbers.map((n: { e164: string; carrier: string }) => [n.e164, n.carrier])).toEqual([['+81120000001', 'twilio'], ['+81120000002', 'telnyx']])
      const added = await t.app.inject({ method: 'POST', url: '/admin/numbers', headers: admin, payload: { e164: '+81120000003', carrier: 'bandwidth' } })
      expect(added.statusCode).toBe(201)
      expect(added.json()).toMatchObject({ e164: '+81120000003', carrier: 'bandwidth' })
      const patched = await t.app.inject({ method: 'PATCH', url: '/admin/numbers/+81120000003', headers: admin, payload: { carrier: 'plivo' } })
      expect(patched.json()).toMatchObject({ carrier: 'plivo', state: 'active' })
      for (const request of [
        { method: 'POST' as const, url: '/admin/numbers', payload: { e164: '+81120000004', carrier: 'vonage' } },
        { method: 'PATCH' as const, url: '/admin/numbers/+81120000003', payload: { carrier: 'vonage' } },
      ]) {
        const res = await t.app.inject({ ...request, headers: admin })
        expect(res.statusCode).toBe(400)
        expect(res.json().error.code).toBe('INVALID_REQUEST')
      }
      expect(await t.store.getNumber('+81120000004')).toBeNull()
      expect((await t.store.getNumber('+81120000003'))?.carrier).toBe('plivo')
      const audit = (await t.app.inject({ method: 'GET', url: '/admin/audit', headers: admin })).json()
      expect(audit.entries[0]).toMatchObject({ action: 'numbers.update', before: { carrier: 'bandwidth' }, after: { carrier: 'plivo' } })
      const metrics = await t.app.metrics.numberHealth.get()
      expect(metrics.values.find((v) => v.labels.number === '+81120000002')?.labels.carrier).toBe('telnyx')
    })

    it('ensurePoolNumbers — keeps a present number\'s carrier (a restart never moves a number)', async () => {
      t = await buildTestApp(kind, { env: { POOL_NUMBERS: '+81120000001@telnyx' } })
      await t.store.ensurePoolNumbers([{ e164: '+81120000001', carrier: 'plivo' }])
      expect((await t.store.getNumber('+81120000001'))?.carrier).toBe('telnyx')
    })
  })
}
