import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'

// The service as `npm start` starts it: src/main.ts (dist/src/main.js when built) in a process
// of its own, configured by the environment alone, so the bench runs what users run: the jobs,
// the seed calendar, congestion detection at its defaults. Its CPU and memory are read from
// /proc (Linux), not asked of it, so nothing in it is there for the bench.

// The same extension as this file: .js when built, .ts under tsx (whose loader the child inherits).
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
const MAIN = fileURLToPath(new URL(`../../src/main${EXT}`, import.meta.url))
// Under tsx the child inherits its loader; under vitest (or plain node on a .ts file) it needs one.
const TS_LOADER = EXT === '.ts' && !process.execArgv.some((a) => a.includes('tsx')) ? ['--import', 'tsx'] : []
const TICKS_PER_SECOND = 100 // USER_HZ, the unit of /proc/<pid>/stat's times on Linux

export interface Service {
  url: string
  pid: number
  /** The process's CPU time so far, in µs (10 ms resolution). */
  cpu(): number
  /** Its resident memory now, in bytes. */
  rss(): number
  close(): Promise<void>
}

export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  return typeof address === 'object' && address ? address.port : 0
}

export function procCpu(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6
}

/**
 * A process's main thread (its JavaScript, the event loop): CPU time it ran, and time it was
 * ready to run but waited for a CPU, both in ns (/proc/<pid>/task/<pid>/schedstat, Linux).
 * The wait tells a server starved by other processes apart from one slow by its own work.
 */
export function threadSched(pid: number): { cpuNs: number; waitNs: number } {
  const [cpuNs, waitNs] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number)
  return { cpuNs: cpuNs ?? 0, waitNs: waitNs ?? 0 }
}

function procRss(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return Number(kb ?? 0) * 1024
}

/**
 * Starts main with `env` on a free port and resolves once /readyz answers 200. Its log goes to
 * /dev/null, or line by line to `onLogLine`.
 */
export async function startService(env: NodeJS.ProcessEnv, execArgv: string[] = [], onLogLine?: (line: string) => void): Promise<Service> {
  const port = await freePort()
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, ...TS_LOADER, ...execArgv, MAIN], {
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', onLogLine ? 'pipe' : 'ignore', 'inherit'],
  })
  if (onLogLine) createInterface({ input: child.stdout! }).on('line', onLogLine)
  const url = `http://127.0.0.1:${port}`
  const exited = once(child, 'exit')
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${MAIN} exited with ${child.exitCode} before it was ready`)
    const ready = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false)
    if (ready) break
    if (Date.now() > deadline) throw new Error(`${MAIN} was not ready within 60 s`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const pid = child.pid!
  return {
    url, pid,
    cpu: () => procCpu(pid),
    rss: () => procRss(pid),
    async close() {
      if (child.exitCode !== null) return
      // SIGTERM: main's graceful close (and, under --cpu-prof, the profile written on exit).
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Overrides of the defaults, printed with every run: limits raised and the log level, nothing else. */
export function describeEnv(overrides: Record<string, string>): string {
  return Object.entries(overrides).map(([k, v]) => `${k}=${v.length > 40 ? `${v.slice(0, 37)}…` : v}`).join(' ')
}

/** Deletes every key under `prefix` (a bench run's own); answers how many. */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
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
