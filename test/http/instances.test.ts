import type { ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { freePort } from '../support/global-setup.js'
import { killRedisServer, startRedisServer } from '../support/redis-server.js'
import { API_KEY, bearer, buildTestApp, type TestApp, deployment } from '../support/app.js'
import { waitUntil } from '../jobs/support/receiver.js'

// Production runs many stateless instances on one Redis: a change made through one must wake
// a long-poll held by another, over real HTTP.
describe('two instances sharing Redis', () => {
  const instances = deployment()
  afterEach(() => instances.close())

  it('get — a long-poll on instance A wakes when the call is recorded on instance B', async () => {
    const a = await instances.instance()
    const b = await instances.instance()
    const base = await a.app.listen({ port: 0, host: '127.0.0.1' })
    const created = (await b.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09012345678' } })).json()
    const started = Date.now()
    const polling = fetch(`${base}/v1/verifications/${created.id}?waitSeconds=20`, { headers: bearer(created.pollToken) })
    await waitUntil(() => a.app.watch.size === 1, 5000, 'the long-poll held on instance A') // the wake, not the first read, must answer it
    const result = await b.store.recordCall({ callSid: `CA${'1'.repeat(32)}`, from: '+819012345678', to: created.verificationNumber.e164 })
    expect(result.outcome).toBe('verified')
    const body = await (await polling).json()
    expect(body.status).toBe('verified')
    expect(Date.now() - started).toBeLessThan(5000)
  })
})

describe('Redis goes away and comes back', () => {
  let server: ChildProcess | undefined
  let t: TestApp | undefined
  afterEach(async () => {
    await t?.close().catch(() => {})
    await killRedisServer(server)
  })

  // Production Redis persists (AOF, docker-compose.yml): the pool survives the restart.
  const dir = mkdtempSync(join(tmpdir(), 'cv-redis-'))
  const startRedis = (port: number) => startRedisServer(port, ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir])

  it('requests answer 503 STORE_UNAVAILABLE within a second, and the service recovers by itself', async () => {
    const port = await freePort()
    server = await startRedis(port)
    t = await buildTestApp('redis', { env: { REDIS_URL: `redis://127.0.0.1:${port}` } })
    const create = () => t!.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09012345678' } })
    expect((await create()).statusCode).toBe(201)

    await killRedisServer(server)
    const started = Date.now()
    const down = await create()
    expect(Date.now() - started).toBeLessThan(1000)
    expect(down.statusCode).toBe(503)
    expect(down.json().error).toMatchObject({ code: 'STORE_UNAVAILABLE', messageJa: expect.stringContaining('調整のため') })
    expect(down.headers['retry-after']).toBeDefined()
    expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(503)

    server = await startRedis(port)
    await vi.waitFor(async () => expect((await create()).statusCode).toBe(201), { timeout: 5000, interval: 100 })
  })
})
