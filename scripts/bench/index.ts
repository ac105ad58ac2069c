import { randomUUID } from 'node:crypto'
import { availableParallelism, loadavg } from 'node:os'
import { Redis } from 'ioredis'
import { benchApi, type BenchOptions, type Row } from './api.js'
import { benchMemory } from './memory.js'
import { benchSipEdge } from './sip.js'

// `npm run bench` (issue 3): throughput against a bare baseline measured in the same run,
// Redis memory per pending verification, then the held-call bench if it exists. A report:
// it exits 0 even when a target fails, and says FAIL where it does.
// Env: REDIS_URL, BENCH_DURATION (s, 8), BENCH_WARMUP (s, 2), BENCH_CONNECTIONS (50),
// BENCH_ROUNDS (2), BENCH_ONLY (poll | create | voice | memory | sip), BENCH_LOG_LEVEL (the app's, info),
// BENCH_CPU_PROF (a directory: the servers write .cpuprofile files into its app/ and baseline/).

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] || fallback)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`)
  return value
}

async function deleteKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url)
  let deleted = 0
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) deleted += await redis.unlink(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
  return deleted
}

function table(rows: Row[]): string {
  const number = (n: number | undefined, unit: string) => (n === undefined ? '—' : `${Math.round(n).toLocaleString('en-US')} ${unit}`)
  const cells = rows.map((r) => [
    r.name,
    number(r.value, r.unit),
    number(r.baseline, r.unit),
    r.baseline ? `${(r.value / r.baseline).toFixed(2)}×` : '—',
    r.target,
    r.pass ? 'PASS' : 'FAIL  <<<',
  ])
  const head = ['name', 'value', 'baseline', 'ratio', 'target', 'result']
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: string[]) => c.map((s, i) => s.padEnd(widths[i]!)).join('  ').trimEnd()
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.name}: ${r.note}`)
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line), '', 'notes:', ...notes].join('\n')
}

async function heldCalls(): Promise<string[]> {
  const module = './held-calls.js'
  let bench: { benchHeldCalls?: () => Promise<string[]> }
  try {
    bench = (await import(module)) as typeof bench
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String(error).includes('held-calls')) {
      return ['held calls: skipped (scripts/bench/held-calls.ts does not exist yet)']
    }
    throw error
  }
  if (typeof bench.benchHeldCalls !== 'function') return ['held calls: skipped (held-calls.ts exports no benchHeldCalls)']
  return bench.benchHeldCalls()
}

async function main(): Promise<void> {
  const options: BenchOptions = {
    redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    prefix: `cvbench:${randomUUID()}:`,
    durationSeconds: positive('BENCH_DURATION', 8),
    warmupSeconds: positive('BENCH_WARMUP', 2),
    connections: positive('BENCH_CONNECTIONS', 50),
    rounds: positive('BENCH_ROUNDS', 2),
  }
  const only = process.env.BENCH_ONLY
  console.error(
    `bench: ${options.connections} connections, warm-up ${options.warmupSeconds} s, ${options.durationSeconds} s per run, ` +
      `${options.rounds} rounds (median), keys under ${options.prefix}`,
  )
  // Servers, Redis and autocannon share these cores: anything else running skews the ratios.
  const busy = () => `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`
  const before = busy()
  const rows: Row[] = []
  try {
    if (only !== 'memory' && only !== 'sip') rows.push(...(await benchApi(options)))
    if (!only || only === 'memory') rows.push(...(await benchMemory(options)))
  } finally {
    const deleted = await deleteKeys(options.redisUrl, options.prefix)
    console.error(`bench: deleted ${deleted} keys under ${options.prefix}`)
  }
  if (rows.length > 0) console.log(table(rows))
  console.log(`machine: ${before} before, ${busy()} after${loadavg()[0]! > availableParallelism() ? ' — busy, the ratios are noisy' : ''}`)
  if (!only) for (const line of await heldCalls()) console.log(line)
  // The SIP edge (Kamailio and sipp as separate processes): skipped, saying why, when either is missing.
  if (!only || only === 'sip') for (const line of await benchSipEdge()) console.log(line)
}

await main()
