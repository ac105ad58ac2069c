import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { scriptSources } from '../../src/store/redis/scripts.js'
import { ADMIN_TOKEN, API_KEY, STORE_KINDS, bearer, buildTestApp, type TestApp } from '../support/app.js'
import { commandsDuring } from '../support/monitor.js'
import { PRODUCTION_ADMIN_TOKEN, PRODUCTION_ENV } from '../support/production.js'

// Issue 14 item 5: /metrics publishes outcomes no caller may learn, so it takes a bearer token
// (METRICS_TOKEN or an admin token) and is never open; /readyz and a scrape cost the store the
// same whatever the pool's size.

const METRICS_TOKEN = 'prometheus-scrape-token-0123456789abcdef'
const POOL = Array.from({ length: 20 }, (_, i) => `+8112000${String(i + 100).padStart(4, '0')}`)
const QUIET = { HEALTH_INTERVAL_SECONDS: '86400', EXPIRY_SWEEP_MS: '60000' }

for (const kind of STORE_KINDS) {
  describe(`/metrics access on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    it('metrics — METRICS_TOKEN or an admin token reads it; none, a poll token or a wrong token is 401, an API key 403', async () => {
      t = await buildTestApp(kind, { env: { METRICS_TOKEN } })
      const v = (await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09012345678' } })).json()
      for (const token of [METRICS_TOKEN, ADMIN_TOKEN]) {
        const res = await t.app.inject({ url: '/metrics', headers: bearer(token) })
        expect(res.statusCode).toBe(200)
        expect(res.body).toContain('callverify_verifications_total')
      }
      for (const headers of [{}, bearer(v.pollToken), bearer('wrong-token'), { authorization: METRICS_TOKEN }]) {
        const res = await t.app.inject({ url: '/metrics', headers })
        expect(res.statusCode).toBe(401)
        expect(res.json().error.code).toBe('UNAUTHORIZED')
        expect(res.body).not.toContain('callverify_')
      }
      expect((await t.app.inject({ url: '/metrics', headers: bearer(API_KEY) })).json().error.code).toBe('FORBIDDEN')
    })
  })
}

describe('/metrics in production', () => {
  let t: TestApp | undefined
  afterEach(async () => t?.close())

  it('metrics — without METRICS_TOKEN it is still closed: only an admin token reads it', async () => {
    t = await buildTestApp('redis', { env: PRODUCTION_ENV })
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(401)
    expect((await t.app.inject({ url: '/metrics', headers: bearer(PRODUCTION_ADMIN_TOKEN) })).statusCode).toBe(200)
  })
})

describe('store cost of /readyz and a scrape (Redis)', () => {
  let t: TestApp | undefined
  afterEach(async () => t?.close())

  const sha = (name: string) => createHash('sha1').update(scriptSources().find((s) => s.name === name)!.lua).digest('hex')

  /** The commands this app sends about its pool (the expiry sweep's script aside). */
  const poolCommands = (prefix: string, act: () => Promise<unknown>) => {
    const sweep = sha('expireDue')
    return commandsDuring((args) => args.some((a) => a.startsWith(`${prefix}pool`)) && !args.includes(sweep), act)
  }

  /** Waits until the pool health job's first run (at start) has read the pool: then only the probe's own commands remain. */
  async function quiet(prefix: string): Promise<void> {
    const deadline = Date.now() + 10_000
    while ((await poolCommands(prefix, () => new Promise((r) => setTimeout(r, 300)))).length > 0) {
      if (Date.now() > deadline) throw new Error('the pool never went quiet')
    }
  }

  it('readyz — one O(1) command, whatever the pool size; probes within a second share it', async () => {
    t = await buildTestApp('redis', { env: { ...QUIET, POOL_NUMBERS: POOL.join(',') } })
    const prefix = t.config.keyPrefix
    await quiet(prefix)
    const probes = await poolCommands(prefix, async () => {
      for (let i = 0; i < 3; i++) {
        const res = await t!.app.inject({ url: '/readyz' })
        expect(res.json()).toEqual({ status: 'ready', activeNumbers: 20 })
      }
    })
    expect(probes).toEqual([['hlen', `${prefix}pool:active`]])
  })

  it('metrics — the pool gauge reads the pool in one round trip per scrape, whatever its size', async () => {
    t = await buildTestApp('redis', { env: { ...QUIET, POOL_NUMBERS: POOL.join(',') } })
    const prefix = t.config.keyPrefix
    await t.store.updateNumber(POOL[3]!, { state: 'quarantined', health: 'answered' })
    await quiet(prefix)
    let text = ''
    const scrape = await poolCommands(prefix, async () => {
      text = (await t!.app.inject({ url: '/metrics', headers: bearer(ADMIN_TOKEN) })).body
    })
    expect(scrape).toHaveLength(1)
    // summarizePool-1.lua (EVAL the first time on this connection, EVALSHA after).
    expect(scrape[0]![0]).toMatch(/^eval(sha)?$/)
    expect(scrape[0]!.slice(-3)).toEqual(['1', `${prefix}pool:all`, prefix])
    expect(text).toContain(`callverify_pool_number_health{number="${POOL[3]}",carrier="twilio",health="answered",state="quarantined"} 1`)
    expect(text.match(/^callverify_pool_number_health\{/gm)).toHaveLength(20)
  })
})
