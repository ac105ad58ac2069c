import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { realpathSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../../src/app.js'
import { loadFixture } from '../../src/carriers/twilio/fixtures.js'
import { signTwilioRequest } from '../../src/carriers/twilio/signature.js'
import { newCallSid, simulatedParams } from '../../src/carriers/twilio/simulate.js'
import { loadConfig } from '../../src/config.js'
import { createStore } from '../../src/main.js'

// Held voice answers under load (R6): N signed voice webhooks held at once over real HTTP on
// loopback. Each answer should come RING_DELAY_MS after its request, however many are held
// (timers, not loops), and a held call should cost little memory. The server is a child
// process, so its memory is its own and the client never shares its event loop.
// Alone: npx tsx scripts/bench/held-calls.ts  (HELD_CALLS, HELD_DELAY_MS, HELD_RAMP_MS)

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

// Under tsx the fork inherits its loader; under vitest (or plain node on a .ts file) it needs one.
const TS_LOADER = import.meta.url.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx')) ? ['--import', 'tsx'] : []

interface Sample { heapUsed: number; rss: number; held: number; served: number[] }

/** 'held' is cheap; 'memory' collects garbage first, which stalls the server: only at rest and at the peak. */
function ask(child: ChildProcess, what: 'held' | 'memory' | 'served' | 'reset'): Promise<Sample> {
  child.send(what)
  return once(child, 'message').then(([m]) => m as Sample)
}

async function startServer(delayMs: number): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fileURLToPath(import.meta.url), ['serve'], {
    env: { ...process.env, RING_DELAY_MS: String(delayMs), PUBLIC_BASE_URL: PUBLIC, POOL_NUMBERS: POOL, LOG_LEVEL: 'warn', STORE: 'memory' },
    execArgv: [...process.execArgv, ...TS_LOADER, '--expose-gc'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  const [message] = (await once(child, 'message')) as [{ port: number }]
  return { child, port: message.port }
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
  peak: Sample
  before: Sample
}

/** One server, one burst of held calls; `connections` says whether their sockets exist beforehand. */
async function run(connections: Connections, calls: number, delayMs: number, rampMs: number): Promise<Run> {
  const { child, port } = await startServer(delayMs)
  const kept = connections === 'kept-alive'
  const warm = new Agent({ keepAlive: true, maxSockets: calls + 100 })
  const agent = kept ? warm : new Agent({ keepAlive: false, maxSockets: calls + 100 })
  try {
    // Warm-up on the at-once path (withheld). Kept-alive: it opens every connection first, as a
    // proxy in front of the service keeps them, so the run measures the hold and nothing else (and
    // its memory line leaves the sockets out). A new connection per call counts them in.
    await Promise.all(webhooks(kept ? calls : 200, 'voice-withheld-anonymous').map((h) => post(warm, port, VOICE, h)))
    await ask(child, 'reset')
    const before = await ask(child, 'memory')
    const answers = webhooks(calls, 'voice-matched').map((h, i) => new Promise<{ ms: number; ok: boolean }>((resolve) => {
      setTimeout(() => resolve(post(agent, port, VOICE, h)), (i * rampMs) / calls)
    }))
    // Peak: every call held at once (or the most seen before the first answers went out).
    let held = 0
    const deadline = performance.now() + rampMs + delayMs
    while (held < calls && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20))
      const sample = await ask(child, 'held')
      if (sample.held < held) break
      held = sample.held
    }
    const peak = await ask(child, 'memory')
    const results = await Promise.all(answers)
    // fastify's elapsedTime: from the request read to the answer sent, so the ring itself.
    const served = (await ask(child, 'served')).served.sort((a, b) => a - b)
    const latency = results.map((r) => r.ms).sort((a, b) => a - b)
    return { connections, latency, served, failed: results.filter((r) => !r.ok).length, peak, before }
  } finally {
    warm.destroy()
    agent.destroy()
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
}

function describeRun(r: Run, calls: number, delayMs: number): string[] {
  const [p50, p99, max] = [percentile(r.latency, 50), percentile(r.latency, 99), r.latency.at(-1)!]
  const pass = p99 <= delayMs + SLACK_MS && r.failed === 0
  const ms = (n: number) => n.toFixed(0)
  const heap = r.peak.heapUsed - r.before.heapUsed
  const rss = r.peak.rss - r.before.rss
  return [
    `  ${r.connections === 'kept-alive' ? 'kept-alive connections' : 'a new connection per call'}: p50 ${ms(p50)} ms, p99 ${ms(p99)} ms, max ${ms(max)} ms (p99 − delay ${ms(p99 - delayMs)} ms): ${pass ? 'PASS' : 'FAIL  <<<'}`,
    `    ${calls - r.failed}/${calls} answered with the reject, ${r.peak.held} held at once; server side (request read → answer sent) p50 ${ms(percentile(r.served, 50))} ms, p99 ${ms(percentile(r.served, 99))} ms`,
    `    memory per held call after GC: heap ${kb(heap / r.peak.held)}, RSS ${kb(rss / r.peak.held)} (heap +${mb(heap)}, RSS +${mb(rss)} at the peak)`,
  ]
}

export async function benchHeldCalls(options: HeldBenchOptions = {}): Promise<string[]> {
  const calls = options.calls ?? Number(process.env.HELD_CALLS || 2000)
  const delayMs = options.delayMs ?? Number(process.env.HELD_DELAY_MS || 3000)
  const rampMs = options.rampMs ?? Number(process.env.HELD_RAMP_MS || 1000)
  const lines = [
    `held calls: ${calls} signed voice webhooks over loopback HTTP, started over ${rampMs} ms, RING_DELAY_MS ${delayMs}, memory store; target p99 ≤ delay + ${SLACK_MS} ms`,
  ]
  for (const connections of ['kept-alive', 'new per call'] as const) lines.push(...describeRun(await run(connections, calls, delayMs, rampMs), calls, delayMs))
  return lines
}

/** The child: the app as main.ts builds it, on the memory store, reporting its memory on request. */
async function serve(): Promise<void> {
  const config = loadConfig()
  const store = await createStore(config) // startServer sets STORE=memory
  await store.ensurePoolNumbers(config.pool)
  // No closures in the calendar: the bench must not depend on the hour it runs at.
  const app = await buildApp({ config, store, calendar: { rules: [] } })
  const served: number[] = []
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url === '/webhooks/twilio/voice' && reply.statusCode === 200) served.push(reply.elapsedTime)
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  process.on('message', async (what) => {
    if (what === 'memory') globalThis.gc?.()
    const { heapUsed, rss } = process.memoryUsage()
    const held = (await app.metrics.heldCalls.get()).values[0]?.value ?? 0
    const taken = what === 'served' || what === 'reset' ? served.splice(0) : []
    process.send?.({ heapUsed, rss, held, served: taken })
  })
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)))
  const address = app.server.address()
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
}

const entry = process.argv[1] === undefined ? '' : realpathSync(process.argv[1])
if (entry === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === 'serve') await serve()
  else for (const line of await benchHeldCalls()) console.log(line)
}
