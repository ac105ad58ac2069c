import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StatusEvent } from '../../src/store/types.js'
import { openRedis } from '../../src/store/redis/connection.js'
import { isUnavailable } from '../../src/store/failure.js'
import { API_KEY, bearer, buildTestApp, type TestApp } from '../support/app.js'
import { freePort } from '../support/global-setup.js'
import { testPrefix } from '../support/redis.js'

// docs/contract.md "Running it in production": production is a primary and a replica watched
// by Sentinel. Real processes, the app connected only through Sentinel: a planned failover, then
// the primary SIGKILLed. Meanwhile answers are 503 STORE_UNAVAILABLE (never 500); then the app
// carries on on the new primary with everything that had been replicated.

const RECOVERY_BOUND_MS = 15_000

describe('Redis Sentinel failover', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cv-sentinel-'))
  const keyPrefix = testPrefix()
  const logs: Record<string, string> = {}
  const clients: Redis[] = []
  const servers: Record<'a' | 'b' | 'sentinel', { port: number; process?: ChildProcess; redis?: Redis }> = {
    a: { port: 0 }, b: { port: 0 }, sentinel: { port: 0 },
  }
  let t: TestApp | undefined

  /** Starts redis-server (or Sentinel) and resolves once it logs `ready`. */
  function start(name: keyof typeof servers, args: string[], ready: string): Promise<void> {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'ignore'] })
    servers[name].process = child
    logs[name] = ''
    return new Promise((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        logs[name] += chunk.toString()
        if (logs[name]!.includes(ready)) resolve()
      })
      child.on('error', reject)
      child.on('exit', (code) => reject(new Error(`${name} exited (${code}):\n${logs[name]}`)))
    })
  }

  /** A plain client of one server, for the test's own checks. */
  function direct(name: keyof typeof servers): Redis {
    const server = servers[name]
    if (!server.redis) {
      // A server closes its clients' connections when its role changes: reconnect.
      server.redis = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => 50 })
      server.redis.on('error', () => {})
      clients.push(server.redis)
    }
    return server.redis
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = await probe().catch(() => undefined)
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; Sentinel: ${logs.sentinel?.slice(-1500)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  const replication = async (name: 'a' | 'b', field: string) => new RegExp(`^${field}:(\\S+)`, 'm').exec(await direct(name).info('replication'))?.[1]
  const primaryPort = async () => Number(((await direct('sentinel').call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as string[])[1])

  /** What a primary acknowledged but has not yet sent to its replica is lost in a failover: wait until it is sent. */
  async function replicated(primary: 'a' | 'b', replica: 'a' | 'b'): Promise<void> {
    const written = Number(await replication(primary, 'master_repl_offset'))
    await until('replication', async () => (Number(await replication(replica, 'slave_repl_offset')) >= written ? true : undefined))
  }

  /** A GET, again while it answers 503: the failover detector may drop a connection once more just after it found the new primary. */
  const read = (id: string) => until('a read', async () => {
    const answer = await t!.app.inject({ url: `/v1/verifications/${id}`, headers: bearer(API_KEY) })
    return answer.statusCode === 503 ? undefined : answer
  }, 3000)

  const create = (phoneNumber: string) => t!.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber } })

  /** Creates until one is 201 (or the bound passes); every other answer is kept. */
  async function createUntilServed(phoneNumber: string, accept: (id: string) => Promise<boolean> = async () => true) {
    const began = Date.now()
    const others: { status: number; code?: string; ms: number }[] = []
    while (Date.now() - began < RECOVERY_BOUND_MS) {
      const sent = Date.now()
      const answer = await create(phoneNumber)
      if (answer.statusCode === 201 && (await accept(answer.json().id))) return { id: answer.json().id as string, others, ms: Date.now() - began }
      if (answer.statusCode !== 201) others.push({ status: answer.statusCode, code: answer.json().error?.code, ms: Date.now() - sent })
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`no 201 within ${RECOVERY_BOUND_MS} ms; last answers ${JSON.stringify(others.slice(-3))}; Sentinel: ${logs.sentinel?.slice(-2000)}`)
  }

  beforeAll(async () => {
    for (const server of Object.values(servers)) server.port = await freePort()
    // No persistence; the first full sync at once (redis-server waits 5 s for more replicas).
    const server = (port: number) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--repl-diskless-sync-delay', '0']
    await start('a', server(servers.a.port), 'Ready to accept connections')
    await start('b', [...server(servers.b.port), '--replicaof', '127.0.0.1', String(servers.a.port)], 'Ready to accept connections')
    await until('the replica to sync', async () => ((await replication('b', 'master_link_status')) === 'up' ? true : undefined))
    // Sentinel rewrites its config file: it lives in the temp dir.
    const conf = join(dir, 'sentinel.conf')
    writeFileSync(conf, [
      `port ${servers.sentinel.port}`, 'bind 127.0.0.1', `dir ${dir}`,
      `sentinel monitor mymaster 127.0.0.1 ${servers.a.port} 1`,
      'sentinel down-after-milliseconds mymaster 500',
      'sentinel failover-timeout mymaster 2000',
    ].join('\n'))
    await start('sentinel', [conf, '--sentinel'], '+monitor master mymaster')
    // A replica Sentinel has not seen cannot be promoted.
    await until('Sentinel to know the replica', async () => {
      const replicas = (await direct('sentinel').call('SENTINEL', 'REPLICAS', 'mymaster')) as string[][]
      return replicas.some((r) => r[r.indexOf('flags') + 1] === 'slave') ? true : undefined
    })
    t = await buildTestApp('redis', {
      keyPrefix,
      env: { REDIS_URL: '', REDIS_SENTINELS: `127.0.0.1:${servers.sentinel.port}`, RATE_LIMIT_PHONE_PER_HOUR: '10000' },
    })
  }, 20_000)

  // The servers die with the test even if closing the app hangs (a hook timeout skips the rest).
  const killServers = () => {
    for (const server of Object.values(servers)) server.process?.kill('SIGKILL')
  }
  process.once('exit', killServers)

  afterAll(async () => {
    try {
      await Promise.race([t?.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000).unref())])
      for (const redis of clients) redis.disconnect()
    } finally {
      killServers()
      process.off('exit', killServers)
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('openRedis — a write a replica refuses (READONLY) is a connection error and drops the socket to reconnect', async () => {
    const redis = openRedis(`redis://127.0.0.1:${servers.b.port}`, { maxRetriesPerRequest: 0, retryStrategy: () => 50 })
    clients.push(redis)
    redis.on('error', () => {})
    await redis.ping()
    const reconnecting = new Promise((resolve) => redis.once('reconnecting', resolve))
    const error = await redis.set(`${keyPrefix}readonly`, '1').catch((e: unknown) => e)
    expect(String(error)).toContain('READONLY')
    expect(isUnavailable(error)).toBe(true)
    await reconnecting
  })

  it('store — a planned failover (SENTINEL FAILOVER) moves writes to the new primary at once, though the old one still takes writes', async () => {
    const before = (await create('09011112222')).json()
    await replicated('a', 'b')
    await direct('sentinel').call('SENTINEL', 'FAILOVER', 'mymaster')
    await until('Sentinel to name the replica', async () => ((await primaryPort()) === servers.b.port ? true : undefined))
    // Sentinel demotes a live old primary only ~10 s later: a client still on it would write
    // there and lose it. The failover detector moves every connection on +switch-master.
    const onNewPrimary = async (id: string) => (await direct('b').exists(`${keyPrefix}v:${id}`)) === 1
    const served = await createUntilServed('09033334444', onNewPrimary)
    expect(served.ms).toBeLessThan(2000)
    for (const answer of served.others) expect(answer).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' })
    expect((await read(before.id)).json()).toMatchObject({ status: 'pending' })

    // What Sentinel would do ~10 s later, so that the next test has a replica to promote.
    await direct('a').call('REPLICAOF', '127.0.0.1', String(servers.b.port))
    await until('the old primary to follow the new one', async () => ((await replication('a', 'master_link_status')) === 'up' ? true : undefined))
  })

  it('store — the primary dies: 503 STORE_UNAVAILABLE until Sentinel promotes the replica, then writes go on with what was replicated', async () => {
    const v = (await create('09012345678')).json()
    const call = await t!.store.recordCall({ callSid: `CA${'7'.repeat(32)}`, from: '+819012345678', to: v.verificationNumber.e164 })
    expect(call.outcome).toBe('verified')
    await replicated('b', 'a')

    const primary = servers.b.process!
    primary.kill('SIGKILL')
    await new Promise((r) => primary.once('exit', r))
    // Another number: a create for the first one would supersede it.
    const served = await createUntilServed('09087654321')
    // Sentinel takes down-after-milliseconds to notice: there was an outage, and each answer
    // in it was the contract's 503, at once (the store's connection fails fast).
    expect(served.others.length).toBeGreaterThan(0)
    for (const answer of served.others) expect(answer).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' })
    expect(Math.max(...served.others.map((a) => a.ms))).toBeLessThan(1500)
    expect(await primaryPort()).toBe(servers.a.port)

    const after = await read(v.id)
    expect(after.statusCode).toBe(200)
    expect(after.json()).toMatchObject({ id: v.id, status: 'verified', calls: 1 })
    // Status events arrive over the subscriber's connection: it found the new primary too.
    const events: StatusEvent[] = []
    const unsubscribe = t!.store.onStatus((event) => events.push(event))
    await t!.store.cancelVerification(served.id, 'backend')
    await until('the status event', async () => (events.some((e) => e.id === served.id) ? true : undefined), 5000)
    unsubscribe()
  }, RECOVERY_BOUND_MS + 10_000)
})
