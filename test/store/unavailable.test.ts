import type { ChildProcess } from 'node:child_process'
import { Writable } from 'node:stream'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isUnavailable } from '../../src/store/failure.js'
import { API_KEY, bearer, buildTestApp, type TestApp } from '../support/app.js'
import { freePort } from '../support/global-setup.js'
import { killRedisServer, startRedisServer } from '../support/redis-server.js'

// Issue 14 item 2: a Redis that refuses writes (maxmemory under noeviction, too few replicas, a
// script running too long) answers 503 STORE_UNAVAILABLE with Retry-After, writes nothing, and
// the log says why in one summary (name, reply code, operation): never the command's args,
// which hold callers' hashes, callback URLs and Lua sources. A redis-server of the test's own.

const PHONE = '09012345678'
const CALLBACK = 'https://bank.example/hook?secret=s3cr3t-callback-query'

describe('store refusals (issue 14 item 2)', () => {
  let server: ChildProcess | undefined
  let admin: Redis
  let t: TestApp
  const lines: string[] = []

  beforeAll(async () => {
    const port = await freePort()
    server = await startRedisServer(port, ['--maxmemory-policy', 'noeviction', '--busy-reply-threshold', '100'])
    admin = new Redis(port, '127.0.0.1')
    const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } })
    t = await buildTestApp('redis', { env: { REDIS_URL: `redis://127.0.0.1:${port}` }, deps: { logger: { level: 'info', stream } } })
  })
  afterAll(async () => {
    await t?.close().catch(() => {})
    admin?.disconnect()
    await killRedisServer(server)
  })

  const create = () => t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: PHONE, callbackUrl: CALLBACK } })
  const logged = () => lines.join('')

  /** Every log line so far: none may hold an arg of a store command. */
  function expectNoArgsLogged(): void {
    const text = logged()
    expect(text).not.toContain('9012345678')
    expect(text).not.toContain('s3cr3t-callback-query')
    expect(text).not.toContain(t.config.keyPrefix)
    expect(text).not.toMatch(/redis\.call|"args"/)
  }

  it('create — maxmemory exceeded under noeviction: 503 STORE_UNAVAILABLE with Retry-After, nothing written, one summary logged', async () => {
    // The store's own keys (BullMQ's, under bull, come and go by themselves).
    const ours = async () => (await admin.keys(`${t.config.keyPrefix}*`)).filter((k) => !k.startsWith(`${t.config.keyPrefix}bull`)).sort()
    const before = await ours()
    await admin.eval("redis.call('SET', KEYS[1], string.rep('x', 3000000))", 1, 'filler')
    await admin.config('SET', 'maxmemory', '2mb')
    try {
      const res = await create()
      expect(res.statusCode).toBe(503)
      expect(res.json().error.code).toBe('STORE_UNAVAILABLE')
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      // The poll counts in its script (a write) too: refused the same way.
      const poll = await t.app.inject({ url: '/v1/verifications/vf_none', headers: bearer(API_KEY) })
      expect(poll.statusCode).toBe(503)
      expect(await ours()).toEqual(before)
      const summaries = lines.map((l) => JSON.parse(l) as { msg: string; err?: { cause?: unknown } }).filter((l) => l.msg === 'store unavailable')
      expect(summaries.map((l) => l.err)).toContainEqual({ name: 'CallverifyError', code: 'STORE_UNAVAILABLE', cause: { name: 'ReplyError', code: 'OOM', operation: 'createVerification' } })
      expectNoArgsLogged()
    } finally {
      await admin.config('SET', 'maxmemory', '0')
      await admin.del('filler')
    }
    expect((await create()).statusCode).toBe(201)
  })

  it('create — too few replicas to write (NOREPLICAS): 503 with Retry-After', async () => {
    await admin.config('SET', 'min-replicas-to-write', '1')
    try {
      const res = await create()
      expect(res.statusCode).toBe(503)
      expect(res.json().error.code).toBe('STORE_UNAVAILABLE')
      expect(res.headers['retry-after']).toBeDefined()
      expect(logged()).toContain('"code":"NOREPLICAS"')
    } finally {
      await admin.config('SET', 'min-replicas-to-write', '0')
    }
  })

  it('poll — Redis busy running a script (BUSY): 503 with Retry-After 1', async () => {
    const other = new Redis(admin.options.port!, '127.0.0.1')
    other.on('error', () => {})
    const busy = other.eval('while true do end', 0).catch((e: Error) => e)
    try {
      await new Promise((r) => setTimeout(r, 250)) // past busy-reply-threshold (100 ms)
      const res = await t.app.inject({ url: '/v1/verifications/vf_none', headers: bearer(API_KEY) })
      expect(res.statusCode).toBe(503)
      expect(res.headers['retry-after']).toBe('1')
      expect(logged()).toContain('"code":"BUSY"')
    } finally {
      await admin.call('SCRIPT', 'KILL')
      await busy
      other.disconnect()
    }
  })

  it('poll — any other store failure answers the fixed 500 and logs name, code and operation only', async () => {
    await admin.set(`${t.config.keyPrefix}v:vf_wrongtype`, 'not a hash')
    const res = await t.app.inject({ url: '/v1/verifications/vf_wrongtype', headers: bearer(API_KEY) })
    expect(res.statusCode).toBe(500)
    const line = lines.map((l) => JSON.parse(l) as { msg: string; err?: unknown }).find((l) => l.msg === 'unhandled error')
    expect(line?.err).toEqual({ name: 'StoreError', code: 'WRONGTYPE', operation: 'getVerification' })
    expectNoArgsLogged()
  })

  it('isUnavailable — the reply codes Redis refuses with for now, not the ones that are bugs', () => {
    for (const reply of ['OOM command not allowed', 'MISCONF Redis is configured to save RDB snapshots', 'NOREPLICAS Not enough good replicas', 'BUSY Redis is busy', 'LOADING Redis is loading', 'READONLY You can\'t write against a read only replica.', 'MASTERDOWN Link with MASTER is down']) {
      expect(isUnavailable(new Error(reply)), reply).toBe(true)
    }
    for (const reply of ['WRONGTYPE Operation against a key', 'ERR Error running script', 'NOSCRIPT No matching script']) {
      expect(isUnavailable(new Error(reply)), reply).toBe(false)
    }
  })
})
