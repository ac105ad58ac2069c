import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { Redis } from 'ioredis'
import { buildApp } from '../../src/app.js'
import { loadFixture } from '../../src/carriers/twilio/fixtures.js'
import { signTwilioRequest } from '../../src/carriers/twilio/signature.js'
import { newCallSid } from '../../src/carriers/twilio/simulate.js'
import { loadConfig } from '../../src/config.js'
import { createStore } from '../../src/main.js'
import { serveChild } from './baseline.js'

// HTTP throughput of the app on the Redis store, as a ratio to baseline.ts measured in the
// same run. Both servers are child processes, so autocannon here never shares their event
// loop; they alternate round by round because a 2-core machine is noisy.

export interface Row {
  name: string
  value: number
  unit: string
  baseline?: number
  target: string
  pass: boolean
  note?: string
}

export interface BenchOptions {
  redisUrl: string
  /** cvbench:<uuid>: — every key this run writes lives under it. */
  prefix: string
  durationSeconds: number
  warmupSeconds: number
  connections: number
  rounds: number
}

// The same extension as this file: .js when built, .ts under tsx (whose loader fork inherits).
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
export const BENCH_POOL = Array.from({ length: 10 }, (_, i) => `+81120${String(i + 1).padStart(6, '0')}`)
const POLLED = 200

/** Valid JP mobile numbers (090-1000-0000 onward; 0900 is not allocated), distinct per call. */
export function phoneNumbers(): () => string {
  let n = Math.floor(Math.random() * 80_000_000)
  return () => `090${10_000_000 + (n++ % 90_000_000)}`
}

export interface Server {
  url: string
  /** The server process's CPU time so far, in µs. */
  cpu(): Promise<number>
  close(): Promise<void>
}

export async function startServer(file: string, args: string[], env: NodeJS.ProcessEnv, execArgv: string[] = []): Promise<Server> {
  const child = fork(fileURLToPath(new URL(file + EXT, import.meta.url)), args, {
    env, execArgv: [...process.execArgv, ...execArgv], stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${file} exited with ${code} before listening`)
  })
  const [message] = (await Promise.race([once(child, 'message'), exited])) as [{ port: number }]
  exited.catch(() => {})
  return {
    url: `http://127.0.0.1:${message.port}`,
    async cpu() {
      child.send('cpu')
      const [reply] = (await once(child, 'message')) as [{ cpu: number }]
      return reply.cpu
    },
    async close() {
      if (child.exitCode !== null) return
      const gone = once(child, 'exit')
      child.disconnect()
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await gone
      clearTimeout(timer)
    },
  }
}

/** Redis' own CPU time so far, in µs (every client's, so other users of this Redis add noise). */
async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu')
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0)
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6
}

type Requests = autocannon.Request[]

interface Measured {
  rps: number
  non2xx: number
  errors: number
  p99: number
  codes: string
  /** CPU per answered request, µs: the server process, and Redis. */
  serverCpu: number
  redisCpu: number
}

async function fire(server: Server, redis: Redis, requests: Requests, connections: number, duration: number): Promise<Measured> {
  const before = [await server.cpu(), await redisCpu(redis)] as const
  const result = await autocannon({ url: server.url, connections, duration, requests })
  const after = [await server.cpu(), await redisCpu(redis)] as const
  const answered = Math.max(1, result.requests.total)
  const codes = Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => `${code}×${s.count ?? 0}`).join(' ')
  return {
    rps: result.requests.average, non2xx: result.non2xx, errors: result.errors, p99: result.latency.p99, codes,
    serverCpu: (after[0] - before[0]) / answered, redisCpu: (after[1] - before[1]) / answered,
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function compare(
  name: string, target: number, options: BenchOptions, redis: Redis, baseline: Server, app: Server, requests: () => Requests,
): Promise<Row> {
  const base: Measured[] = []
  const ours: Measured[] = []
  for (let round = 0; round < options.rounds; round++) {
    for (const [server, into] of [[baseline, base], [app, ours]] as const) {
      await fire(server, redis, requests(), options.connections, options.warmupSeconds)
      into.push(await fire(server, redis, requests(), options.connections, options.durationSeconds))
    }
    const last = (list: Measured[]) => Math.round(list.at(-1)!.rps)
    console.error(`  ${name}: round ${round + 1}: baseline ${last(base)} req/s, app ${last(ours)} req/s`)
  }
  const value = median(ours.map((m) => m.rps))
  const baselineRps = median(base.map((m) => m.rps))
  const bad = ours.filter((m) => m.non2xx > 0 || m.errors > 0)
  const cpu = (list: Measured[]) =>
    `${Math.round(median(list.map((m) => m.serverCpu)))} µs server + ${Math.round(median(list.map((m) => m.redisCpu)))} µs Redis`
  const note = [
    `CPU per request: app ${cpu(ours)}, baseline ${cpu(base)}`,
    `p99 latency: app ${median(ours.map((m) => m.p99))} ms, baseline ${median(base.map((m) => m.p99))} ms`,
    ...bad.map((m) => `app answered ${m.codes}, ${m.errors} connection errors`),
  ].join('; ')
  return {
    name, value, unit: 'req/s', baseline: baselineRps, target: `≥ ${target}× baseline`,
    pass: bad.length === 0 && value >= target * baselineRps, note,
  }
}

/** The app's environment: Redis under its own prefix, limits and overload shedding out of the way. */
export function appEnv(options: BenchOptions, keyPrefix: string, apiKey: string): NodeJS.ProcessEnv {
  const { NODE_ENV: _ignored, ...env } = process.env
  return {
    ...env,
    STORE: 'redis',
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: keyPrefix,
    API_KEYS: `bench:${apiKey}`,
    POOL_NUMBERS: BENCH_POOL.join(','),
    WINDOW_SECONDS: '3600',
    RATE_LIMIT_API_KEY_PER_MINUTE: '1000000',
    RATE_LIMIT_PHONE_PER_HOUR: '1000000',
    RATE_LIMIT_CLIENT_PER_MINUTE: '1000000',
    // R13 sheds load at 98% event-loop use, which a saturating benchmark always reaches: we
    // measure capacity here, not the shedding (0 turns a threshold off).
    MAX_EVENT_LOOP_UTILIZATION: '0',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'info',
  }
}

/** Opens `count` verifications through the API, `parallel` at a time; returns what a frontend polls with. */
export async function openVerifications(url: string, apiKey: string, next: () => string, count: number, parallel = 1) {
  const opened: { id: string; pollToken: string }[] = []
  const open = async () => {
    const response = await fetch(`${url}/v1/verifications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumber: next() }),
    })
    const body = (await response.json()) as { id: string; pollToken: string }
    if (response.status !== 201) throw new Error(`create answered ${response.status}: ${JSON.stringify(body)}`)
    opened.push({ id: body.id, pollToken: body.pollToken })
  }
  for (let i = 0; i < count; i += parallel) await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, open))
  return opened
}

export async function benchApi(options: BenchOptions): Promise<Row[]> {
  const apiKey = randomBytes(18).toString('base64url')
  const dir = process.env.BENCH_CPU_PROF
  const profile = (name: string) => (dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}/${name}`] : [])
  const baselineEnv = { ...process.env, REDIS_URL: options.redisUrl, BENCH_PREFIX: `${options.prefix}base:` }
  const baseline = await startServer('baseline', [], baselineEnv, profile('baseline'))
  const app = await startServer('api', ['serve'], appEnv(options, `${options.prefix}api:`, apiKey), profile('app'))
  const redis = new Redis(options.redisUrl)
  try {
    const next = phoneNumbers()
    const polled = await openVerifications(app.url, apiKey, next, POLLED)
    let turn = 0
    const poll = (): Requests => [{
      method: 'GET',
      setupRequest: (request) => {
        const v = polled[turn++ % polled.length]!
        return { ...request, path: `/v1/verifications/${v.id}`, headers: { ...request.headers, authorization: `Bearer ${v.pollToken}` } }
      },
    }]
    const create = (): Requests => [{
      method: 'POST',
      setupRequest: (request) => ({
        ...request,
        path: '/v1/verifications',
        headers: { ...request.headers, authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: `{"phoneNumber":"${next()}"}`,
      }),
    }]
    // A carrier webhook through the call core: signature, parse, the withheld rule, one store
    // step. Withheld answers at once (R5), so it measures the path, not the ring (held-calls.ts does).
    const withheld = loadFixture('voice-withheld-anonymous')
    const voiceUrl = `http://localhost:${loadConfig({}).port}${withheld.path}`
    const voice = (): Requests => [{
      method: 'POST',
      setupRequest: (request) => {
        const params = { ...(withheld.params as Record<string, string>), CallSid: newCallSid() }
        return {
          ...request, path: withheld.path, body: new URLSearchParams(params).toString(),
          headers: { ...request.headers, 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilioRequest('dev-auth-token', voiceUrl, params) },
        }
      },
    }]
    const only = process.env.BENCH_ONLY
    const rows: Row[] = []
    if (!only || only === 'poll') rows.push(await compare('status poll (GET, poll token)', 0.8, options, redis, baseline, app, poll))
    if (!only || only === 'create') rows.push(await compare('create (POST, API key)', 0.5, options, redis, baseline, app, create))
    if (!only || only === 'voice') rows.push(await compare('voice webhook, withheld (POST, signed, call core)', 0.5, options, redis, baseline, app, voice))
    return rows
  } finally {
    redis.disconnect()
    await Promise.all([baseline.close(), app.close()])
  }
}

/** The app as `npm start` builds it on the Redis store, with no closures in its calendar. */
async function serveApp(): Promise<void> {
  const config = loadConfig()
  const store = await createStore(config) // appEnv sets STORE=redis
  await store.ensurePoolNumbers(config.pool)
  const app = await buildApp({ config, store, calendar: { rules: [] } })
  app.addHook('onClose', async () => store.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  serveChild(app, () => app.close())
}

const entry = process.argv[1] === undefined ? '' : realpathSync(process.argv[1])
if (entry === fileURLToPath(import.meta.url) && process.argv[2] === 'serve') await serveApp()
