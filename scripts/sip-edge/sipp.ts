import { spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { SIP_DIR } from './edge.js'

// sipp (Debian sip-tester) on the scenarios in sip/scenarios, for the SIP suites and the bench:
// one run to completion, its exit code and the scenario's timers (rtd) per call.

export const TRUNK_IP = '127.0.0.1'

export function findSipp(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin']
  return dirs.filter(Boolean).map((d) => join(d, 'sipp')).find((p) => {
    try {
      accessSync(p, constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

/** Whether nothing holds this address's port, UDP or TCP. */
export async function bindable(host: string, port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((done) => {
    const server = createServer().once('error', () => done(false)).listen(port, host, () => server.close(() => done(true)))
  })
  if (!tcp) return false
  return new Promise<boolean>((done) => {
    const socket = createSocket('udp4').once('error', () => done(false))
    socket.bind(port, host, () => socket.close(() => done(true)))
  })
}

/**
 * A loopback address (127.0.0.10–250) and a port free for both UDP and TCP there, so edges
 * started side by side never share a socket and 127.0.0.1/.2 stay free as trunk sources.
 */
export async function freeSipAddress(): Promise<{ host: string; port: number }> {
  for (;;) {
    const host = `127.0.0.${10 + Math.floor(Math.random() * 240)}`
    const port = 20_000 + Math.floor(Math.random() * 40_000)
    if (await bindable(host, port)) return { host, port }
  }
}

export interface SippRun {
  /** sipp's exit code: 0 when every call went as the scenario says. */
  code: number | null
  /** The scenario's timers (rtd) in ms, per call, by timer name. */
  timers: Record<string, number[]>
  /** The ms the system clock (Date.now()) and the monotonic clock (sipp's) counted over the run. */
  clock: { systemMs: number; monotonicMs: number }
  output: string
}

/**
 * The least a span of `systemMs` by the system clock can have taken by sipp's clock during `run`.
 * Kamailio times the ring with the system clock (the async module's async_ms_route reads
 * gettimeofday, src/modules/async/async_sleep.c), sipp its timers with the monotonic one, and a
 * time daemon slewing the system clock makes them run at different rates (seen on a test machine
 * here for a few minutes: +0.5%, a 1,000 ms ring 995 ms by sipp). The rate is taken over the run,
 * at its fastest that Date.now()'s whole ms allow (+1 ms).
 */
export function systemSpanInSippMs(run: SippRun, systemMs: number): number {
  return (systemMs * run.clock.monotonicMs) / (run.clock.systemMs + 1)
}

export interface SippOptions {
  sipp: string
  edge: { host: string; port: number }
  source?: string
  transport?: 'udp' | 'tcp'
  keys?: Record<string, string>
  calls?: number
  /** Calls started per second (sipp -r); all at once by default. */
  rate?: number
  extra?: string[]
  timeoutSeconds?: number
}

/** Runs one sipp scenario from sip/scenarios to completion. */
export async function runSipp(scenario: string, options: SippOptions): Promise<SippRun> {
  const cwd = mkdtempSync(join(tmpdir(), 'callverify-sipp-'))
  const calls = options.calls ?? 1
  const args = [
    `${options.edge.host}:${options.edge.port}`, '-sf', join(SIP_DIR, 'scenarios', `${scenario}.xml`),
    '-i', options.source ?? TRUNK_IP, '-p', '0', '-t', options.transport === 'tcp' ? 't1' : 'u1',
    '-m', String(calls), '-l', String(calls),
    // All at once unless a rate is given: sipp's default 1 s rate period would start a lone call late.
    ...(options.rate ? ['-r', String(options.rate), '-rp', '1000'] : ['-r', String(calls), '-rp', '1']),
    '-timeout', `${options.timeoutSeconds ?? 20}s`, '-timeout_error', '-nostdin',
    '-trace_rtt', '-rtt_freq', '1', '-trace_err',
    // sipp's 64 KB socket buffers drop replies under a burst; the kernel caps this at rmem_max.
    '-buff_size', '4194304',
    ...Object.entries(options.keys ?? {}).flatMap(([k, v]) => ['-key', k, v]),
    ...(options.extra ?? []),
  ]
  const [systemStart, monotonicStart] = [Date.now(), performance.now()]
  const child = spawn(options.sipp, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const code = await new Promise<number | null>((done) => child.on('exit', done))
  const clock = { systemMs: Date.now() - systemStart, monotonicMs: performance.now() - monotonicStart }
  const timers: Record<string, number[]> = {}
  for (const file of readdirSync(cwd)) {
    if (file.endsWith('_rtt.csv')) {
      for (const line of readFileSync(join(cwd, file), 'utf8').split('\n').slice(1)) {
        const [, ms, name] = line.trim().split(';')
        if (name) (timers[name] ??= []).push(Number(ms))
      }
    }
    if (file.endsWith('_errors.log')) output += `\n${readFileSync(join(cwd, file), 'utf8').slice(0, 4000)}`
  }
  rmSync(cwd, { recursive: true, force: true })
  return { code, timers, clock, output }
}

