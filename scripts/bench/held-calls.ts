import { randomUUID } from 'node:crypto'
import { readFileSync, realpathSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { loadFixture } from '../../src/carriers/twilio/fixtures.js'
import { signTwilioRequest } from '../../src/carriers/twilio/signature.js'
import { newCallSid, simulatedParams } from '../../src/carriers/twilio/simulate.js'
import type { Row } from './api.js'
import { benchOverrides } from './api.js'
import { deleteKeys, startService, threadSched, type Service } from './service.js'

// Held voice answers under load (R6): N signed voice webhooks held at once over real HTTP on
// loopback, against the service as `npm start` runs it (service.ts: main.ts on the Redis store).
// Each answer should come RING_DELAY_MS after its request, however many are held (timers, not
// loops), and a held call should cost little memory. The server's own side of each answer
// (read → sent) comes from its request log lines.
//
// The load generator is this process, and a cheap one: each call is its request's bytes, built
// before the clock starts, written to a socket, and the answer read up to its Content-Length.
// node's http client cost ~300 µs of CPU per call on kept-alive connections and ~560 µs on new
// ones; at 2,000 calls a second that is more than a core of a 2-core machine taken from the
// server it measures. What each side spent is printed with the row: the server's main thread
// (and how long it waited for a CPU), the whole server process, this generator, and the
// kernel's accept-queue counters, so that a slow row says whose time it was.
// Alone: npx tsx scripts/bench/held-calls.ts  (HELD_CALLS, HELD_DELAY_MS, HELD_RAMP_MS, REDIS_URL)

export interface HeldBenchOptions {
  calls?: number
  delayMs?: number
  /** Requests are started evenly over this time, as calls arrive, rather than in one burst. */
  rampMs?: number
}

const SLACK_MS = 50
const PUBLIC = 'http://callverify.bench'
const POOL = '+81120000001'
const VOICE = '/webhooks/twilio/voice'
const ADMIN_TOKEN = 'dev-admin-token' // config.ts' dev default: the bench's server runs outside production
const REJECT = '<Reject reason="busy"/>'
// Before the burst: every call of the warm-up answered and the log's periodic flush (1 s) done.
const SETTLE_MS = 1500

interface Scrape {
  held: number
  /** Event-loop delay max since the previous scrape (prom-client resets its histogram on each), ms. */
  loopDelayMaxMs: number
  /** GC pause time so far, all kinds, ms. */
  gcMs: number
}

/** The server's own figures from its /metrics: held calls now, its event-loop delay, its GC time. */
async function scrape(service: Service): Promise<Scrape> {
  const text = await (await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text()
  const value = (pattern: RegExp) => [...text.matchAll(pattern)].reduce((sum, m) => sum + Number(m[1]), 0)
  return {
    held: value(/^callverify_held_calls (\S+)/gm),
    loopDelayMaxMs: value(/^callverify_process_nodejs_eventloop_lag_max_seconds (\S+)/gm) * 1000,
    gcMs: value(/^callverify_process_nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)/gm) * 1000,
  }
}

async function startServer(delayMs: number, redisUrl: string, prefix: string, served: number[], execArgv: string[]): Promise<Service> {
  const { NODE_ENV: _ignored, ...env } = process.env
  return startService(
    { ...env, STORE: 'redis', REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, RING_DELAY_MS: String(delayMs), PUBLIC_BASE_URL: PUBLIC, POOL_NUMBERS: POOL, ...benchOverrides(), LOG_LEVEL: 'debug' },
    execArgv,
    // The request line's ms is fastify's elapsedTime: from the request read to the answer sent.
    // An answered request's line is written at debug (app.ts): the server side needs every one.
    (line) => {
      if (!line.includes(VOICE)) return
      const entry = JSON.parse(line) as { route?: string; status?: number; ms?: number }
      if (entry.route === VOICE && entry.status === 200 && entry.ms !== undefined) served.push(entry.ms)
    },
  )
}

/**
 * One signed voice webhook per caller (callers `first`, `first + 1`, …), as the bytes a carrier
 * sends: request line, headers and form. `close` asks the server to close after its answer.
 */
function webhooks(count: number, fixture: string, first: number, port: number, close: boolean): Buffer[] {
  const f = loadFixture(fixture)
  return Array.from({ length: count }, (_, i) => {
    const params = simulatedParams(f, { from: `090${String(10_000_000 + first + i)}`, to: POOL }, newCallSid()) as Record<string, string>
    const body = new URLSearchParams(params).toString()
    const head = [
      `POST ${VOICE} HTTP/1.1`, `host: 127.0.0.1:${port}`, 'content-type: application/x-www-form-urlencoded',
      `x-twilio-signature: ${signTwilioRequest('dev-auth-token', PUBLIC + f.path, params)}`, `content-length: ${Buffer.byteLength(body)}`,
      ...(close ? ['connection: close'] : []),
    ]
    return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`)
  })
}

/** The next answer on `socket`: true when it is a 200 with the reject, read up to its Content-Length. */
function answer(socket: Socket): Promise<boolean> {
  return new Promise((resolve) => {
    let text = ''
    const finish = (ok: boolean): void => {
      socket.off('data', onData).off('close', onClose)
      resolve(ok)
    }
    const onClose = (): void => finish(false)
    function onData(chunk: Buffer): void {
      text += chunk.toString('latin1')
      const end = text.indexOf('\r\n\r\n')
      if (end < 0) return
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))
      if (!length) return finish(false)
      if (text.length < end + 4 + Number(length[1])) return
      finish(text.startsWith('HTTP/1.1 200 ') && text.includes(REJECT, end))
    }
    socket.on('data', onData).on('close', onClose)
  })
}

function open(port: number): Socket {
  // A refused or reset connection shows as a failed answer ('close'), never as an exception.
  return connect({ host: '127.0.0.1', port, noDelay: true }).on('error', () => {})
}

interface Answered {
  /** From the request's first byte written (or the connect, for a new connection) to the answer read. */
  ms: number
  ok: boolean
}

/** One call: on `socket` if given (kept alive), else on a connection of its own, closed after. */
async function call(port: number, request: Buffer, socket?: Socket): Promise<Answered> {
  const started = performance.now()
  const target = socket ?? open(port)
  const answered = answer(target)
  target.write(request) // on a new connection, written once it connects
  const ok = await answered
  const ms = performance.now() - started
  if (!socket) target.destroy()
  return { ms, ok }
}

/** Starts `requests[i]` at `i × rampMs / n`; a late timer starts every call already due. */
function ramp(requests: Buffer[], rampMs: number, send: (request: Buffer, i: number) => Promise<Answered>): { answers: Promise<Answered[]>; lateMs: () => number } {
  const t0 = performance.now()
  const answers: Promise<Answered>[] = []
  let late = 0
  return {
    answers: new Promise((resolve) => {
      const next = (): void => {
        const now = performance.now()
        while (answers.length < requests.length && t0 + (answers.length * rampMs) / requests.length <= now) {
          late = Math.max(late, now - (t0 + (answers.length * rampMs) / requests.length))
          answers.push(send(requests[answers.length]!, answers.length))
        }
        if (answers.length < requests.length) setTimeout(next, t0 + (answers.length * rampMs) / requests.length - performance.now())
        else resolve(Promise.all(answers))
      }
      next()
    }),
    lateMs: () => late,
  }
}

/** The kernel's TCP counters for the accept queue and handshakes (system-wide, /proc/net/netstat). */
function tcpCounters(): Record<'ListenOverflows' | 'ListenDrops' | 'TCPSynRetrans' | 'SyncookiesSent', number> {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'))
  const names = lines[0]?.split(' ') ?? []
  const values = lines[1]?.split(' ') ?? []
  const get = (name: string) => Number(values[names.indexOf(name)] ?? 0)
  return { ListenOverflows: get('ListenOverflows'), ListenDrops: get('ListenDrops'), TCPSynRetrans: get('TCPSynRetrans'), SyncookiesSent: get('SyncookiesSent') }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

type Connections = 'kept-alive' | 'new per call'

interface Run {
  connections: Connections
  latency: number[]
  served: number[]
  failed: number
  held: number
  /** RSS at the peak minus at rest (no GC can be asked of main: an upper bound). */
  rssGrowth: number
  /** From the first call started to every answer read, per call. */
  perCall: { serverMainCpuUs: number; serverMainWaitUs: number; serverCpuUs: number; generatorCpuUs: number }
  loopDelayMaxMs: number
  gcMs: number
  generatorLateMs: number
  tcp: ReturnType<typeof tcpCounters>
}

/** One server, one burst of held calls; `connections` says whether their sockets exist beforehand. */
async function run(connections: Connections, calls: number, delayMs: number, rampMs: number, redisUrl: string): Promise<Run> {
  const prefix = `cvbench:${randomUUID()}:held:`
  const served: number[] = []
  const kept = connections === 'kept-alive'
  // BENCH_CPU_PROF (npm run bench): the server writes a .cpuprofile into <dir>/held-kept or held-new.
  const dir = process.env.BENCH_CPU_PROF
  const service = await startServer(delayMs, redisUrl, prefix, served, dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}/held-${kept ? 'kept' : 'new'}`] : [])
  const port = Number(new URL(service.url).port)
  const sockets = kept ? Array.from({ length: calls }, () => open(port)) : []
  try {
    // Warm-up: as many calls as the burst, on the path it takes (a matched caller's call, held),
    // so that it runs compiled code, as a service that has been up a while does. Kept-alive, it
    // opens every connection first, as a proxy in front of the service keeps them, so the run
    // measures the hold and nothing else (and its memory line leaves the sockets out). A new
    // connection per call counts them in.
    await Promise.all(webhooks(calls, 'voice-matched', calls, port, !kept).map((request, i) => call(port, request, sockets[i])))
    const requests = webhooks(calls, 'voice-matched', 0, port, !kept)
    await sleep(SETTLE_MS)
    served.splice(0)
    const before = { rss: service.rss(), main: threadSched(service.pid), cpu: service.cpu(), generator: process.cpuUsage(), tcp: tcpCounters(), scrape: await scrape(service) }
    const burst = ramp(requests, rampMs, (request, i) => call(port, request, sockets[i]))
    // Peak: every call held at once (or the most seen before the first answers went out).
    await sleep(rampMs + Math.min(500, Math.max(0, (delayMs - rampMs) / 2)))
    const peak = await scrape(service)
    const peakRss = service.rss()
    const results = await burst.answers
    const after = { main: threadSched(service.pid), cpu: service.cpu(), generator: process.cpuUsage(before.generator), tcp: tcpCounters() }
    const final = await scrape(service)
    await sleep(SETTLE_MS) // the answers' log lines
    const latency = results.map((r) => r.ms).sort((a, b) => a - b)
    const tcp = Object.fromEntries(Object.entries(after.tcp).map(([k, v]) => [k, v - before.tcp[k as keyof typeof before.tcp]])) as Run['tcp']
    return {
      connections, latency, served: served.sort((a, b) => a - b), failed: results.filter((r) => !r.ok).length,
      held: peak.held, rssGrowth: Math.max(peakRss, before.rss) - before.rss,
      perCall: {
        serverMainCpuUs: (after.main.cpuNs - before.main.cpuNs) / 1000 / calls,
        serverMainWaitUs: (after.main.waitNs - before.main.waitNs) / 1000 / calls,
        serverCpuUs: (after.cpu - before.cpu) / calls,
        generatorCpuUs: (after.generator.user + after.generator.system) / calls,
      },
      loopDelayMaxMs: Math.max(peak.loopDelayMaxMs, final.loopDelayMaxMs), gcMs: final.gcMs - before.scrape.gcMs,
      generatorLateMs: burst.lateMs(), tcp,
    }
  } finally {
    for (const socket of sockets) socket.destroy()
    await service.close()
    await deleteKeys(redisUrl, prefix)
  }
}

function runRow(r: Run, calls: number, delayMs: number): Row {
  const [p50, p99, max] = [percentile(r.latency, 50), percentile(r.latency, 99), r.latency.at(-1)!]
  const ms = (n: number | undefined) => (n === undefined ? '—' : n.toFixed(0))
  const over = (p: number) => ms(percentile(r.latency, p) - delayMs)
  const us = (n: number) => `${n.toFixed(0)} µs`
  const { perCall: c, tcp } = r
  return {
    name: `${calls} held calls in 1 s, ${r.connections === 'kept-alive' ? 'kept-alive connections' : 'a new connection per call'}: client p99`,
    value: p99,
    unit: 'ms',
    target: `≤ ${delayMs + SLACK_MS} ms`,
    pass: p99 <= delayMs + SLACK_MS && r.failed === 0,
    note:
      `p50 ${ms(p50)} ms, max ${ms(max)} ms (p99 − delay ${ms(p99 - delayMs)} ms); ${calls - r.failed}/${calls} answered with the reject, ` +
      `${r.held} held at once; server side (request read → answer sent, from its LOG_LEVEL=debug lines) p50 ${ms(percentile(r.served, 50))} ms, p99 ${ms(percentile(r.served, 99))} ms ` +
      `(${r.served.length} logged); RSS +${mb(r.rssGrowth)} at the peak, ${kb(r.rssGrowth / Math.max(1, r.held))} per held call (no GC before either sample); ` +
      `over the delay p50 ${over(50)}, p90 ${over(90)}, p99 ${over(99)}, max ${over(100)} ms; ` +
      `CPU per call: server main thread ${us(c.serverMainCpuUs)} (and ${us(c.serverMainWaitUs)} waiting for a CPU), server process ${us(c.serverCpuUs)}, ` +
      `load generator ${us(c.generatorCpuUs)} (at most ${ms(r.generatorLateMs)} ms behind its schedule); ` +
      `server event-loop delay max ${ms(r.loopDelayMaxMs)} ms, GC ${ms(r.gcMs)} ms; ` +
      `TCP (system-wide): ${tcp.ListenOverflows} accept-queue overflows, ${tcp.ListenDrops} listen drops, ${tcp.TCPSynRetrans} SYN retransmits, ${tcp.SyncookiesSent} SYN cookies`,
  }
}

export async function benchHeldCalls(options: HeldBenchOptions = {}): Promise<Row[]> {
  const calls = options.calls ?? Number(process.env.HELD_CALLS || 2000)
  const delayMs = options.delayMs ?? Number(process.env.HELD_DELAY_MS || 3000)
  const rampMs = options.rampMs ?? Number(process.env.HELD_RAMP_MS || 1000)
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
  const rows: Row[] = []
  for (const connections of ['kept-alive', 'new per call'] as const) rows.push(runRow(await run(connections, calls, delayMs, rampMs, redisUrl), calls, delayMs))
  return rows
}

const entry = process.argv[1] === undefined ? '' : realpathSync(process.argv[1])
if (entry === fileURLToPath(import.meta.url)) for (const row of await benchHeldCalls()) console.log(`${row.name} ${row.value.toFixed(0)} ${row.unit} (${row.target}: ${row.pass ? 'PASS' : 'FAIL'}); ${row.note}`)
