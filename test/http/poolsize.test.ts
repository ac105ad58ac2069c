import { Writable } from 'node:stream'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { poolSizeWarning } from '../../src/plugins/poolsize.js'
import { ADMIN_TOKEN, STORE_KINDS, bearer, buildTestApp, type TestApp } from '../support/app.js'

// Issue 14 item 8: callers are shared across tenants (a security property that stays), so a pool
// barely larger than the tenants leaks, through allocation and POOL_EXHAUSTED, that a person is
// verifying at another bank. Below 2 active numbers per tenant: a warning at start and after
// every pool change that leaves it there.

const THREE_TENANTS = { API_KEYS: 'demo:dev-api-key,other:other-tenant-key,third:third-tenant-key' }

interface Line { level: number; msg: string; active?: number; tenants?: number; after?: string }

function captured(): { lines: Line[]; stream: Writable } {
  const lines: Line[] = []
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Line); done() } })
  return { lines, stream }
}

const sizing = (lines: Line[]) => lines.filter((l) => l.level === 40 && /below 2 per tenant/.test(l.msg))

describe('pool sizing rule', () => {
  it('poolSizeWarning — at least 2 active numbers per tenant, or a warning that says why', () => {
    expect(poolSizeWarning(6, 3)).toBeUndefined()
    expect(poolSizeWarning(5, 3)).toMatch(/^5 active pool numbers for 3 tenants: below 2 per tenant \(6\), .*verifying at another/)
  })

  for (const kind of STORE_KINDS) {
    describe(`on the ${kind} store`, () => {
      let t: TestApp | undefined
      afterEach(async () => t?.close())

      it('start-up — warns when the pool is below the rule (3 numbers, 3 tenants), not when it meets it', async () => {
        const small = captured()
        t = await buildTestApp(kind, { env: THREE_TENANTS, deps: { logger: { level: 'warn', stream: small.stream } } })
        expect(sizing(small.lines)).toEqual([expect.objectContaining({ active: 3, tenants: 3, after: 'start' })])
        await t.close()
        const enough = captured()
        t = await buildTestApp(kind, { env: { ...THREE_TENANTS, POOL_NUMBERS: '+81120000001,+81120000002,+81120000003,+81120000004,+81120000005,+81120000006' }, deps: { logger: { level: 'warn', stream: enough.stream } } })
        expect(sizing(enough.lines)).toEqual([])
      })

      it('pool change — draining a number that takes the pool below the rule warns, naming the change', async () => {
        const log = captured()
        // Two tenants (demo, other), four numbers: exactly the rule.
        t = await buildTestApp(kind, { env: { POOL_NUMBERS: '+81120000001,+81120000002,+81120000003,+81120000004' }, deps: { logger: { level: 'warn', stream: log.stream } } })
        expect(sizing(log.lines)).toEqual([])
        const res = await t.app.inject({ method: 'PATCH', url: '/admin/numbers/+81120000004', headers: bearer(ADMIN_TOKEN), payload: { state: 'draining' } })
        expect(res.statusCode).toBe(200)
        // Logged in onResponse, just after the answer went out.
        await vi.waitFor(() => expect(sizing(log.lines)).toEqual([expect.objectContaining({ active: 3, tenants: 2, after: 'PATCH /admin/numbers/:e164' })]), { timeout: 2000, interval: 20 })
        // Back to four: no new warning.
        await t.app.inject({ method: 'PATCH', url: '/admin/numbers/+81120000004', headers: bearer(ADMIN_TOKEN), payload: { state: 'active' } })
        await t.app.inject({ url: '/admin/numbers', headers: bearer(ADMIN_TOKEN) }) // the hook of the change before has run
        expect(sizing(log.lines)).toHaveLength(1)
      })
    })
  }
})
