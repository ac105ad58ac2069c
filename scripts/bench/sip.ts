import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createStore } from '../../src/main.js'
import { findKamailio, startEdge } from '../sip-edge/edge.js'
import { KAMAILIO_INSTALL_HINT } from '../sip-edge/settings.js'
import { findSipp, freeSipAddress, runSipp } from '../sip-edge/sipp.js'

// The SIP edge under load (issue 16): N INVITEs from sipp (UDP), started over one second and
// all held for the ring at once, through Kamailio on sip/kamailio.cfg to the service on the
// memory store. Every call should end 486 at p99 ≤ RING_DELAY_MS + 100 ms, timed by sipp from
// its INVITE to the 486, and the edge and the service should still answer after.
// Alone: npx tsx scripts/bench/sip.ts  (SIP_CALLS, SIP_DELAY_MS)

const SLACK_MS = 100
const SECRET = 'bench-sip-shared-secret-0123456789abcdef'
// Two numbers, so the service does not warn (at start) that one is too few to share; sipp calls the first.
const POOL = ['+81120000001', '+81120000002']

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

export async function benchSipEdge(options: { calls?: number; delayMs?: number } = {}): Promise<string[]> {
  const calls = options.calls ?? Number(process.env.SIP_CALLS || 1000)
  const delayMs = options.delayMs ?? Number(process.env.SIP_DELAY_MS || 6000)
  const kamailio = findKamailio()
  const sipp = findSipp()
  if (!kamailio || !sipp) return [`sip edge: skipped (${kamailio ? 'sipp is not installed: apt-get install -y sip-tester' : KAMAILIO_INSTALL_HINT})`]

  const config = loadConfig({ ...process.env, STORE: 'memory', SIP_SHARED_SECRET: SECRET, POOL_NUMBERS: POOL.map((n) => `${n}@sip`).join(','), LOG_LEVEL: 'warn' })
  const store = await createStore(config)
  await store.ensurePoolNumbers(config.pool)
  const app = await buildApp({ config, store, calendar: { rules: [] } })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const listen = await freeSipAddress()
  const edge = await startEdge(
    { listen, trustedPeers: ['127.0.0.1/32'], callverifyUrl: url, sharedSecret: SECRET, ringDelayMs: delayMs, workers: 4 },
    { kamailio, onLog: () => {} },
  )
  try {
    const run = await runSipp('ring', {
      sipp, edge: listen, calls, rate: calls, timeoutSeconds: Math.ceil(delayMs / 1000) + 30,
      keys: { caller: 'sip:+819012345678@trunk.example;user=phone', called: '0120000001', extra: 'Subject: bench' },
    })
    const ring = (run.timers.ring ?? []).sort((a, b) => a - b)
    // Reports are queued at the edge and posted by its reporter processes: they may trail the 486s.
    const counted = async () => (await app.metrics.calls.get()).values.filter((v) => v.labels.carrier === 'sip').reduce((n, v) => n + v.value, 0)
    const drainStart = performance.now()
    let reported = await counted()
    while (reported < calls && performance.now() - drainStart < 30_000) {
      await new Promise((r) => setTimeout(r, 50))
      reported = await counted()
    }
    const drainMs = performance.now() - drainStart
    const options = await runSipp('options', { sipp, edge: listen })
    const health = await app.inject({ url: '/healthz' })
    const alive = options.code === 0 && health.statusCode === 200
    const p99 = ring.length ? percentile(ring, 99) : Number.NaN
    const pass = run.code === 0 && ring.length === calls && p99 <= delayMs + SLACK_MS && alive
    const ms = (n: number | undefined) => (n === undefined ? '—' : n.toFixed(0))
    // Kamailio times the ring by the system clock, sipp by the monotonic one (sipp.ts systemSpanInSippMs):
    // a slewed system clock moves p99 − delay by its rate, and the line says how far.
    const percent = (run.clock.systemMs / run.clock.monotonicMs - 1) * 100
    const drift = Math.abs(percent) < 0.005 ? '0.00' : `${percent > 0 ? '+' : ''}${percent.toFixed(2)}`
    return [
      `sip edge: ${calls} INVITEs from sipp over UDP, started over 1 s, RING_DELAY_MS ${delayMs}, Kamailio → service (memory store); target every call 486 at p99 ≤ delay + ${SLACK_MS} ms`,
      `  INVITE → 486: p50 ${ms(percentile(ring, 50))} ms, p99 ${ms(p99)} ms, max ${ms(ring.at(-1))} ms (p99 − delay ${ms(p99 - delayMs)} ms; ` +
        `the system clock, which times the ring, ran ${drift}% against sipp's): ${pass ? 'PASS' : 'FAIL  <<<'}`,
      `    ${ring.length}/${calls} ended 486 (sipp exit ${run.code}), ${reported}/${calls} reports counted by the service (the last ${drainMs.toFixed(0)} ms after the last 486); after: edge OPTIONS ${options.code === 0 ? '200' : 'no answer'}, service /healthz ${health.statusCode}`,
    ]
  } finally {
    await edge.stop()
    await app.close()
    await store.close()
  }
}

const entry = process.argv[1] === undefined ? '' : realpathSync(process.argv[1])
if (entry === fileURLToPath(import.meta.url)) for (const line of await benchSipEdge()) console.log(line)
