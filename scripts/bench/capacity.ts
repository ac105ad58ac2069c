import { spawn, type ChildProcess } from 'node:child_process'
import { HOUR_MS } from '../../src/domain/japan.js'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { availableParallelism, loadavg } from 'node:os'
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { createRedisStore } from '../../src/store/redis/index.js'
import type { RateCount, Store } from '../../src/store/types.js'
import { deleteKeys, freePort } from './service.js'

// `npm run bench:capacity` (issue 20): what one Redis primary sustains with the real scripts, no
// HTTP in front. The store's own calls (store/redis: EVALSHA of the lua/ scripts, the writes of
// one event-loop turn together, WRITE_BATCH to a socket write, so CAPACITY_IN_FLIGHT calls in
// flight are a pipeline) drive a redis-server of this script's own, so that INFO's CPU time is this load's
// alone. Per step it reports what was reached and Redis' CPU per step; the ceiling is one
// core's second over that (Redis runs the scripts on one thread), which holds however busy the
// client or the machine was. Env: CAPACITY_SECONDS (5), CAPACITY_IN_FLIGHT (256),
// CAPACITY_POLLS (polls per verification, 4), CAPACITY_POOL (pool numbers, 100),
// CAPACITY_REDIS_URL (instead of starting one).

const TENANTS = 50
const MINUTE_MS = 60_000

interface Step {
  name: string
  done: number
  seconds: number
  redisCpuUs: number
}

async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu')
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0)
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6
}

/** Runs `op(i)` with `inFlight` calls outstanding for `seconds` (or until `limit` calls), and measures Redis' CPU. */
async function drive(name: string, redis: Redis, inFlight: number, seconds: number, op: (i: number) => Promise<unknown>, limit = Infinity): Promise<Step> {
  const cpuBefore = await redisCpu(redis)
  const started = performance.now()
  const stopAt = started + seconds * 1000
  let next = 0
  const worker = async () => {
    while (performance.now() < stopAt && next < limit) await op(next++)
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  const elapsed = (performance.now() - started) / 1000
  const cpu = (await redisCpu(redis)) - cpuBefore
  return { name, done: next, seconds: elapsed, redisCpuUs: cpu / Math.max(1, next) }
}

async function startRedis(): Promise<{ url: string; child?: ChildProcess }> {
  if (process.env.CAPACITY_REDIS_URL) return { url: process.env.CAPACITY_REDIS_URL }
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const deadline = Date.now() + 10_000
  while (!output.includes('Ready to accept connections')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { url: `redis://127.0.0.1:${port}`, child }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

export interface CapacityOptions {
  seconds?: number
  inFlight?: number
  /** Status polls per verification, for the per-verification figure. */
  polls?: number
  /** Pool numbers (allocation does not grow with them: compare 10 and 1,000). */
  pool?: number
}

export async function benchCapacity(options: CapacityOptions = {}): Promise<string[]> {
  const seconds = options.seconds ?? Number(process.env.CAPACITY_SECONDS || 5)
  const inFlight = options.inFlight ?? Number(process.env.CAPACITY_IN_FLIGHT || 256)
  const pollsPerVerification = options.polls ?? Number(process.env.CAPACITY_POLLS || 4)
  const poolSize = options.pool ?? Number(process.env.CAPACITY_POOL || 100)
  const pool = Array.from({ length: poolSize }, (_, i) => `+81120${String(i + 1).padStart(6, '0')}`)
  const { url, child } = await startRedis()
  const keyPrefix = `cvcapacity:${randomUUID()}:`
  const store: Store = await createRedisStore({ url, keyPrefix, lockAfterFailures: 5, retentionMs: 24 * HOUR_MS, phoneHash: { current: randomBytes(32) } })
  const redis = new Redis(url)
  try {
    await store.ensurePoolNumbers(pool)
    const opened: { id: string; tenant: string; phone: string; to: string }[] = []
    const phone = (i: number) => `+8190${String(10_000_000 + i)}`
    // The counts the API takes inside these steps (plugins/ratelimit.ts): per API key and per number on create, per address on a poll.
    const createCounts = (tenant: string): RateCount[] => [{ key: `key:${tenant}`, max: 1_000_000, windowMs: MINUTE_MS }]
    const numberCount = { max: 1_000_000, windowMs: HOUR_MS }
    const steps: Step[] = []
    steps.push(await drive('create', redis, inFlight, seconds, async (i) => {
      const tenant = `bank-${i % TENANTS}`
      const { verification } = await store.createVerification({
        id: `vf_${randomUUID()}`, tenant, phoneNumber: phone(i), pollTokenHash: sha256(String(i)), windowMs: 120_000,
        random: Math.random(), counts: createCounts(tenant), numberCount,
      })
      opened.push({ id: verification.id, tenant, phone: phone(i), to: verification.verificationNumber })
    }))
    steps.push(await drive('status poll', redis, inFlight, seconds, async (i) => {
      const v = opened[i % opened.length]!
      await store.getVerification(v.id, [{ key: `addr:198.51.${(i >> 8) & 255}.${i & 255}`, max: 1_000_000, windowMs: MINUTE_MS }])
    }))
    // A call is two webhooks: the voice one (verifies) and the status callback (its outcome).
    steps.push(await drive('call (voice + status callback)', redis, inFlight, seconds, async (i) => {
      const v = opened[i]!
      const callSid = `CA${randomUUID().replace(/-/g, '')}`
      await store.recordCall({ callSid, from: v.phone, to: v.to })
      await store.recordCallStatus({ callSid, to: v.to, status: 'busy', durationSeconds: 0 })
    }, opened.length))
    const called = steps.at(-1)!.done
    steps.push(await drive('confirm', redis, inFlight, seconds, async (i) => {
      const v = opened[i]!
      await store.confirmVerification(v.id, v.tenant)
    }, called))
    return report(steps, pollsPerVerification, inFlight, poolSize, url, Boolean(child))
  } finally {
    await store.close()
    if (child) {
      child.kill('SIGKILL')
      await once(child, 'exit')
    } else {
      await deleteKeys(url, keyPrefix)
    }
    redis.disconnect()
  }
}

function report(steps: Step[], polls: number, inFlight: number, poolSize: number, url: string, own: boolean): string[] {
  const n = (x: number) => Math.round(x).toLocaleString('en-US')
  const lines = [
    `capacity: the store's scripts against ${own ? 'a redis-server of its own' : url}, ${poolSize} pool numbers, ${inFlight} calls in flight, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores`,
  ]
  for (const s of steps) {
    lines.push(`  ${s.name}: ${n(s.done / s.seconds)}/s reached (${n(s.done)} in ${s.seconds.toFixed(1)} s); Redis CPU ${s.redisCpuUs.toFixed(1)} µs each → ceiling ${n(1e6 / s.redisCpuUs)}/s on one core`)
  }
  const cost = (name: string) => steps.find((s) => s.name.startsWith(name))!.redisCpuUs
  const perVerification = cost('create') + polls * cost('status poll') + cost('call') + cost('confirm')
  lines.push(
    `  one verification (create, ${polls} polls, a call, confirm): ${perVerification.toFixed(0)} µs of Redis CPU → ` +
      `ceiling ${n(1e6 / perVerification)} verifications/s, ${n((3600 * 1e6) / perVerification)} an hour, on one primary`,
  )
  return lines
}

const entry = process.argv[1] === undefined ? '' : realpathSync(process.argv[1])
if (entry === fileURLToPath(import.meta.url)) for (const line of await benchCapacity()) console.log(line)
