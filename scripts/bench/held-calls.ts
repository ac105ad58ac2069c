import { randomUUID } from 'node:crypto'
import { realpathSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { fileURLToPath } from 'node:url'
import { loadFixture } from '../../src/carriers/twilio/fixtures.js'
import { signTwilioRequest } from '../../src/carriers/twilio/signature.js'
import { newCallSid, simulatedParams } from '../../src/carriers/twilio/simulate.js'
import type { Row } from './api.js'
import { benchOverrides } from './api.js'
import { deleteKeys, startService, type Service } from './service.js'

// Held voice answers under load (R6): N signed voice webhooks held at once over real HTTP on
// loopback, against the service as `npm start` runs it (service.ts: main.ts on the Redis store).
// Each answer should come RING_DELAY_MS after its request, however many are held (timers, not
// loops), and a held call should cost little memory. The load generator is this process; the
// server's own side of each answer (read → sent) comes from its request log lines.
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

/** The server's held calls now, from its /metrics (callverify_held_calls). */
async function heldNow(service: Service): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text()
  return Number(/^callverify_held_calls (\d+)/m.exec(text)?.[1] ?? 0)
}

async function startServer(delayMs: number, redisUrl: string, prefix: string, served: number[]): Promise<Service> {
  const { NODE_ENV: _ignored, ...env } = process.env
  return startService(
    { ...env, STORE: 'redis', REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, RING_DELAY_MS: String(delayMs), PUBLIC_BASE_URL: PUBLIC, POOL_NUMBERS: POOL, ...benchOverrides(), LOG_LEVEL: 'info' },
    [],
    // The request line's ms is fastify's elapsedTime: from the request read to the answer sent.
    (line) => {
      if (!line.includes(VOICE)) return
      const entry = JSON.parse(line) as { route?: string; status?: number; ms?: number }
      if (entry.route === VOICE && entry.status === 200 && entry.ms !== undefined) served.push(entry.ms)
    },
  )
}

/** One signed voice webhook per caller, built before the clock starts. */
function webhooks(count: number, fixture: string): { body: string; signature: string }[] {
  const f = loadFixture(fixture)
  return Array.from({ length: count }, (_, i) => {
    const params = simulatedParams(f, { from: `090${String(10_000_000 + i)}`, to: POOL }, newCallSid()) as Record<string, string>
    return { body: new URLSearchParams(params).toString(), signature: signTwilioRequest('dev-auth-token', PUBLIC + f.path, params) }
  })
}

function post(agent: Agent, port: number, path: string, hook: { body: string; signature: string }): Promise<{ ms: number; ok: boolean }> {
  const started = performance.now()
  return new Promise((resolve) => {
    const req = request({
      agent, host: '127.0.0.1', port, path, method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': hook.signature, 'content-length': Buffer.byteLength(hook.body) },
    }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => {
        resolve({ ms: performance.now() - started, ok: res.statusCode === 200 && text.includes('<Reject reason="busy"/>') })
      })
    })
    req.on('error', () => resolve({ ms: performance.now() - started, ok: false }))
    req.end(hook.body)
  })
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`

type Connections = 'kept-alive' | 'new per call'

interface Run {
  connections: Connections
  latency: number[]
  served: number[]
  failed: number
  held: number
  /** RSS at the peak minus at rest (no GC can be asked of main: an upper bound). */
  rssGrowth: number
}

/** One server, one burst of held calls; `connections` says whether their sockets exist beforehand. */
async function run(connections: Connections, calls: number, delayMs: number, rampMs: number, redisUrl: string): Promise<Run> {
  const prefix = `cvbench:${randomUUID()}:held:`
  const served: number[] = []
  const service = await startServer(delayMs, redisUrl, prefix, served)
  const port = Number(new URL(service.url).port)
  const kept = connections === 'kept-alive'
  const warm = new Agent({ keepAlive: true, maxSockets: calls + 100 })
  const agent = kept ? warm : new Agent({ keepAlive: false, maxSockets: calls + 100 })
  try {
    // Warm-up on the at-once path (withheld). Kept-alive: it opens every connection first, as a
    // proxy in front of the service keeps them, so the run measures the hold and nothing else (and
    // its memory line leaves the sockets out). A new connection per call counts them in.
    await Promise.all(webhooks(kept ? calls : 200, 'voice-withheld-anonymous').map((h) => post(warm, port, VOICE, h)))
    await new Promise((resolve) => setTimeout(resolve, 1500)) // the log's periodic flush: the warm-up's lines arrive
    served.splice(0)
    const before = service.rss()
    const answers = webhooks(calls, 'voice-matched').map((h, i) => new Promise<{ ms: number; ok: boolean }>((resolve) => {
      setTimeout(() => resolve(post(agent, port, VOICE, h)), (i * rampMs) / calls)
    }))
    // Peak: every call held at once (or the most seen before the first answers went out).
    let held = 0
    let peakRss = before
    const deadline = performance.now() + rampMs + delayMs
    while (held < calls && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50))
      const now = await heldNow(service)
      if (now < held) break
      held = now
      peakRss = Math.max(peakRss, service.rss())
    }
    const results = await Promise.all(answers)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const latency = results.map((r) => r.ms).sort((a, b) => a - b)
    return { connections, latency, served: served.sort((a, b) => a - b), failed: results.filter((r) => !r.ok).length, held, rssGrowth: peakRss - before }
  } finally {
    warm.destroy()
    agent.destroy()
    await service.close()
    await deleteKeys(redisUrl, prefix)
  }
}

function runRow(r: Run, calls: number, delayMs: number): Row {
  const [p50, p99, max] = [percentile(r.latency, 50), percentile(r.latency, 99), r.latency.at(-1)!]
  const ms = (n: number | undefined) => (n === undefined ? '—' : n.toFixed(0))
  return {
    name: `${calls} held calls in 1 s, ${r.connections === 'kept-alive' ? 'kept-alive connections' : 'a new connection per call'}: client p99`,
    value: p99,
    unit: 'ms',
    target: `≤ ${delayMs + SLACK_MS} ms`,
    pass: p99 <= delayMs + SLACK_MS && r.failed === 0,
    note:
      `p50 ${ms(p50)} ms, max ${ms(max)} ms (p99 − delay ${ms(p99 - delayMs)} ms); ${calls - r.failed}/${calls} answered with the reject, ` +
      `${r.held} held at once; server side (request read → answer sent) p50 ${ms(percentile(r.served, 50))} ms, p99 ${ms(percentile(r.served, 99))} ms ` +
      `(${r.served.length} logged); RSS +${mb(r.rssGrowth)} at the peak, ${kb(r.rssGrowth / Math.max(1, r.held))} per held call (no GC before either sample)`,
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
