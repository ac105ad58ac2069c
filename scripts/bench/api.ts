import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { Redis } from 'ioredis'
import { procCpu, startService } from './service.js'
import { loadFixture } from '../../src/carriers/twilio/fixtures.js'
import { signTwilioRequest } from '../../src/carriers/twilio/signature.js'
import { newCallSid } from '../../src/carriers/twilio/simulate.js'
import { closuresAround, serviceStatusAt, type ServiceCalendar } from '../../src/domain/calendar.js'
import { JAPAN_OFFSET_MS } from '../../src/domain/japan.js'
import { loadCalendar } from '../../src/main.js'

// HTTP throughput of the service as `npm start` runs it (service.ts: main.ts on the Redis
// store), as a ratio to baseline.ts fed the same requests in the same run. Every server is a
// process of its own, so autocannon here never shares their event loop; they alternate round
// by round because a 2-core machine is noisy, and a row is the median of the rounds.

export interface Row {
  name: string
  value: number
  unit: string
  baseline?: number
  /** value ÷ baseline; for paired rounds, the median of the rounds' ratios (robust to a machine whose speed drifts). */
  ratio?: number
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
  cpu(): number
  close(): Promise<void>
}

/** The baseline, forked: it tells its port over IPC (baseline.ts serveChild). */
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
    cpu: () => procCpu(child.pid!),
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
  const before = [server.cpu(), await redisCpu(redis)] as const
  const result = await autocannon({ url: server.url, connections, duration, requests })
  const after = [server.cpu(), await redisCpu(redis)] as const
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

/** Fires `requests` at each server in turn, round by round (warm-up, then the measured run). */
async function alternate(label: string, options: BenchOptions, redis: Redis, servers: { name: string; server: Server }[], requests: () => Requests): Promise<Measured[][]> {
  const runs: Measured[][] = servers.map(() => [])
  for (let round = 0; round < options.rounds; round++) {
    for (const [i, { server }] of servers.entries()) {
      await fire(server, redis, requests(), options.connections, options.warmupSeconds)
      runs[i]!.push(await fire(server, redis, requests(), options.connections, options.durationSeconds))
    }
    const line = servers.map(({ name }, i) => `${name} ${Math.round(runs[i]!.at(-1)!.rps)} req/s`).join(', ')
    console.error(`  ${label}: round ${round + 1}: ${line} (load average ${loadavg()[0]!.toFixed(1)})`)
  }
  return runs
}

const cpu = (list: Measured[]) =>
  `${Math.round(median(list.map((m) => m.serverCpu)))} µs server + ${Math.round(median(list.map((m) => m.redisCpu)))} µs Redis`
const failures = (list: Measured[]) => list.filter((m) => m.non2xx > 0 || m.errors > 0)

/** A row: the median of `ours` against the median of `base`, paired round by round. */
function ratioRow(name: string, target: number, ours: Measured[], base: Measured[], baseName: string): Row {
  const value = median(ours.map((m) => m.rps))
  const baseline = median(base.map((m) => m.rps))
  const ratios = ours.map((m, i) => m.rps / base[i]!.rps)
  const ratio = median(ratios)
  const rounds = ratios.map((r) => r.toFixed(2)).join(', ')
  const bad = failures(ours)
  const note = [
    `rounds ${rounds}×`,
    `CPU per request: ${cpu(ours)}, ${baseName} ${cpu(base)}`,
    `p99 latency ${median(ours.map((m) => m.p99))} ms, ${baseName} ${median(base.map((m) => m.p99))} ms`,
    ...bad.map((m) => `answered ${m.codes}, ${m.errors} connection errors`),
  ].join('; ')
  return { name, value, unit: 'req/s', baseline, ratio, target: `≥ ${target}× ${baseName} (median of paired rounds)`, pass: bad.length === 0 && ratio >= target, note }
}

// Limits raised so the bench measures capacity, not refusals; nothing else differs from the
// defaults but the window (benchWindow) and the log level (printed with the table).
const RAISED = {
  RATE_LIMIT_API_KEY_PER_MINUTE: '1000000',
  RATE_LIMIT_PHONE_PER_HOUR: '1000000',
  RATE_LIMIT_CLIENT_PER_MINUTE: '1000000',
}

// A window long enough that no verification the run opens expires under it (the poll row polls
// the same ones for a minute; an expiry sweep mid-row would measure the sweep), at most an hour
// (config.ts' bound). R12 refuses a create whose window a closure would cut, so the window
// ends before the service calendar's next closure, with the run's length to spare: every create
// of the run is then answered, whenever in it it comes.
const WINDOW_MAX_S = 3600
/** More than a full `npm run bench` takes (about 5 minutes on 2 cores), from its first create to its last. */
const RUN_SPAN_S = 900
/** The least window the rows need: the poll row's verifications stay pending through its rounds. */
const WINDOW_MIN_S = 300

const clock = (ms: number) => `${new Date(ms).toISOString().slice(11, 16)} UTC (${new Date(ms + JAPAN_OFFSET_MS).toISOString().slice(11, 16)} Japan)`

/**
 * The bench's WINDOW_SECONDS at `now` under `calendar` (the one the service loads: SERVICE_CALENDAR,
 * else the seed's), or why a run that opens verifications cannot start now: the service is
 * closed (R12), or closes too soon for a run to finish first, and when to run it instead.
 */
export function benchWindow(calendar: ServiceCalendar, now = Date.now()): { seconds: number } | { refusal: string } {
  const status = serviceStatusAt(calendar, now)
  if (!status.open) {
    return { refusal: `the service calendar (R12) is closed now (${status.reason}) until ${clock(status.until)}: creates are refused, run the bench after it` }
  }
  // Open now, so the first closure reaching past now starts after it.
  const closure = closuresAround(calendar, now, now + (WINDOW_MAX_S + RUN_SPAN_S) * 1000).find((c) => c.end > now)
  if (!closure) return { seconds: WINDOW_MAX_S }
  const seconds = Math.min(WINDOW_MAX_S, Math.floor((closure.start - now) / 1000) - RUN_SPAN_S)
  if (seconds >= WINDOW_MIN_S) return { seconds }
  const reopens = serviceStatusAt(calendar, closure.start)
  const after = reopens.open ? closure.end : reopens.until
  return {
    refusal: `the service calendar (R12) closes at ${clock(closure.start)} (${closure.reason}), too soon for a run to finish first ` +
      `(creates whose window it would cut are refused): run the bench after ${clock(after)}`,
  }
}

let decided: ReturnType<typeof benchWindow> | undefined

/**
 * benchWindow at the run's start, decided once (every section's service gets the same window),
 * under the calendar the service loads from the same environment (main.ts loadCalendar).
 */
export function runWindow(): ReturnType<typeof benchWindow> {
  const file = process.env.SERVICE_CALENDAR
  return (decided ??= benchWindow(loadCalendar(file ? { serviceCalendarFile: file } : {})))
}

/** What the bench sets: the limits raised (RAISED), the window (runWindow) and the log level. */
export function benchOverrides(): Record<string, string> {
  // A run that cannot open verifications now leaves the window at its default: index.ts
  // refuses to start the sections that open them, and says why.
  const window = runWindow()
  return { ...RAISED, ...('seconds' in window ? { WINDOW_SECONDS: String(window.seconds) } : {}), LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'info' }
}

/** The app's environment: its own Redis prefix, a bench API key and pool, then benchOverrides. */
export function appEnv(options: BenchOptions, keyPrefix: string, apiKey: string, pool: readonly string[] = BENCH_POOL): NodeJS.ProcessEnv {
  const { NODE_ENV: _ignored, ...env } = process.env
  return {
    ...env,
    STORE: 'redis',
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: keyPrefix,
    API_KEYS: `bench:${apiKey}`,
    POOL_NUMBERS: pool.join(','),
    // Where the carrier would post: the voice row signs its webhooks for this URL.
    PUBLIC_BASE_URL: BENCH_PUBLIC_URL,
    ...benchOverrides(),
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

/** The app's PUBLIC_BASE_URL in the bench (signatures are checked against it, never Host). */
const BENCH_PUBLIC_URL = 'http://callverify.bench'

const LARGE_POOL = Array.from({ length: 1000 }, (_, i) => `+81120${String(i + 1).padStart(6, '0')}`)

export async function benchApi(options: BenchOptions): Promise<Row[]> {
  const only = process.env.BENCH_ONLY
  const apiKey = randomBytes(18).toString('base64url')
  const dir = process.env.BENCH_CPU_PROF
  const profile = (name: string) => (dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}/${name}`] : [])
  const baselineEnv = { ...process.env, REDIS_URL: options.redisUrl, BENCH_PREFIX: `${options.prefix}base:` }
  const baseline = await startServer('baseline', [], baselineEnv, profile('baseline'))
  const app = await startService(appEnv(options, `${options.prefix}api:`, apiKey), profile('app'))
  const large = !only || only === 'create' ? await startService(appEnv(options, `${options.prefix}api1000:`, apiKey, LARGE_POOL), profile('app1000')) : undefined
  const redis = new Redis(options.redisUrl)
  try {
    const next = phoneNumbers()
    const polled = await openVerifications(app.url, apiKey, next, POLLED)
    let turn = 0
    // The same requests for the baseline as for the app: path, headers and body.
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
    const voiceUrl = `${BENCH_PUBLIC_URL}${withheld.path}`
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
    const rows: Row[] = []
    if (!only || only === 'poll') {
      const [base, ours] = await alternate('poll', options, redis, [{ name: 'baseline', server: baseline }, { name: 'app', server: app }], poll)
      rows.push(ratioRow('status poll (GET, poll token)', 0.8, ours!, base!, 'baseline'))
    }
    if (large) {
      const servers = [{ name: 'baseline', server: baseline }, { name: `app (${BENCH_POOL.length} numbers)`, server: app }, { name: 'app (1,000 numbers)', server: large }]
      const [base, ten, thousand] = await alternate('create', options, redis, servers, create)
      rows.push(ratioRow('create (POST, API key)', 0.5, ten!, base!, 'baseline'))
      rows.push(ratioRow(`create, 1,000 pool numbers ÷ ${BENCH_POOL.length}`, 0.8, thousand!, ten!, `${BENCH_POOL.length} numbers`))
    }
    if (!only || only === 'voice') {
      const [base, ours] = await alternate('voice', options, redis, [{ name: 'baseline', server: baseline }, { name: 'app', server: app }], voice)
      rows.push(ratioRow('voice webhook, withheld (POST, signed, call core)', 0.5, ours!, base!, 'baseline'))
    }
    return rows
  } finally {
    redis.disconnect()
    await Promise.all([baseline.close(), app.close(), large?.close()])
  }
}
