import { randomUUID } from 'node:crypto'
import { availableParallelism, loadavg } from 'node:os'
import { ConfigError } from '../../src/config.js'
import { benchApi, benchOverrides, runWindow, type BenchOptions, type Row } from './api.js'
import { benchHeldCalls } from './held-calls.js'
import { benchMemory } from './memory.js'
import { deleteKeys, describeEnv } from './service.js'
import { benchSipEdge } from './sip.js'

// `npm run bench` (issues 3 and 20): the service as `npm start` runs it against a bare baseline
// fed the same requests in the same run, Redis memory per pending verification, and held calls.
// A report: it exits 0 even when a target fails, and says FAIL where it does.
// Env: REDIS_URL, BENCH_DURATION (s, 8), BENCH_WARMUP (s, 2), BENCH_CONNECTIONS (50),
// BENCH_ROUNDS (3), BENCH_ONLY (a section's name below), BENCH_LOG_LEVEL (the app's, info),
// BENCH_CPU_PROF (a directory: the servers write .cpuprofile files into its app/, app1000/, baseline/, held-kept/ and held-new/).

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] || fallback)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`)
  return value
}

function table(rows: Row[]): string {
  const number = (n: number | undefined, unit: string) => (n === undefined ? '—' : `${Math.round(n).toLocaleString('en-US')} ${unit}`)
  const cells = rows.map((r) => [
    r.name,
    number(r.value, r.unit),
    number(r.baseline, r.unit),
    r.baseline ? `${(r.ratio ?? r.value / r.baseline).toFixed(2)}×` : '—',
    r.target,
    r.pass ? 'PASS' : 'FAIL  <<<',
  ])
  const head = ['name', 'value', 'baseline', 'ratio', 'target', 'result']
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: string[]) => c.map((s, i) => s.padEnd(widths[i]!)).join('  ').trimEnd()
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.name}: ${r.note}`)
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line), '', 'notes:', ...notes].join('\n')
}

// The rows, in order. A new row is one entry: BENCH_ONLY=<name> runs that section alone.
// `opens`: the section opens verifications, which R12 refuses in a closure (api.ts benchWindow).
const SECTIONS: { name: string; opens?: true; run: (options: BenchOptions) => Promise<Row[]> }[] = [
  { name: 'poll', opens: true, run: benchApi },
  { name: 'create', opens: true, run: benchApi },
  { name: 'memory', opens: true, run: benchMemory },
  { name: 'voice', opens: true, run: benchApi },
  { name: 'held', run: () => benchHeldCalls() },
  // The SIP edge (Kamailio and sipp as processes of their own): its lines say why when either is missing.
  { name: 'sip', run: async () => { for (const line of await benchSipEdge()) console.log(line); return [] } },
]

async function main(): Promise<void> {
  const options: BenchOptions = {
    redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    prefix: `cvbench:${randomUUID()}:`,
    durationSeconds: positive('BENCH_DURATION', 8),
    warmupSeconds: positive('BENCH_WARMUP', 2),
    connections: positive('BENCH_CONNECTIONS', 50),
    rounds: positive('BENCH_ROUNDS', 3),
  }
  const only = process.env.BENCH_ONLY
  if (only && !SECTIONS.some((s) => s.name === only)) throw new Error(`BENCH_ONLY must be one of ${SECTIONS.map((s) => s.name).join(', ')}`)
  // poll, create and voice are one section when all run (one baseline and app for all).
  const chosen = only ? SECTIONS.filter((s) => s.name === only) : SECTIONS.filter((s) => s.name !== 'create' && s.name !== 'voice')
  let window: ReturnType<typeof runWindow>
  try {
    window = runWindow()
  } catch (error) {
    // A bad SERVICE_CALENDAR: said as npm start says it (main.ts), not as a stack trace.
    if (!(error instanceof ConfigError)) throw error
    console.error(`bench: ${error.message}`)
    process.exit(1)
  }
  if ('refusal' in window && chosen.some((s) => s.opens)) {
    console.error(`bench: ${window.refusal}`)
    process.exit(1)
  }
  console.error(
    `bench: ${options.connections} connections, warm-up ${options.warmupSeconds} s, ${options.durationSeconds} s per run, ` +
      `${options.rounds} rounds (median), keys under ${options.prefix}`,
  )
  const settings = `the service as npm start runs it (src/main.ts, Redis store), defaults but ${describeEnv(benchOverrides())}`
  console.error(`bench: ${settings}`)
  // Servers, Redis and autocannon share these cores: anything else running skews the ratios.
  const busy = () => `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores`
  const before = busy()
  const rows: Row[] = []
  try {
    for (const section of chosen) rows.push(...(await section.run(options)))
  } finally {
    const deleted = await deleteKeys(options.redisUrl, options.prefix)
    console.error(`bench: deleted ${deleted} keys under ${options.prefix}`)
  }
  console.log(table(rows))
  console.log(`service: ${settings}`)
  console.log(`machine: ${before} before, ${busy()} after${loadavg()[0]! > availableParallelism() ? ' — busy, the ratios are noisy' : ''}`)
}

await main()
