import { spawn, type ChildProcess } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { socketName, type EdgeSettings } from './settings.js'

// Starts Kamailio on sip/kamailio.cfg in the foreground and waits until it answers an OPTIONS,
// so "listening" is printed only once a trunk's INVITE would be served.

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..')
/** The repository's sip/ folder, from scripts/sip-edge (tsx) or dist/scripts/sip-edge (built). */
export const SIP_DIR = [join(ROOT, 'sip'), join(ROOT, '..', 'sip')].find((dir) => exists(join(dir, 'kamailio.cfg'))) ?? join(ROOT, 'sip')

function exists(path: string, mode = constants.R_OK): boolean {
  try {
    accessSync(path, mode)
    return true
  } catch {
    return false
  }
}

/** KAMAILIO, else `kamailio` on PATH or in the sbin folders a non-root PATH often lacks. */
export function findKamailio(env: Record<string, string | undefined> = process.env): string | undefined {
  if (env.KAMAILIO) return exists(env.KAMAILIO, constants.X_OK) ? env.KAMAILIO : undefined
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin']
  return dirs.filter(Boolean).map((dir) => join(dir, 'kamailio')).find((path) => exists(path, constants.X_OK))
}

export interface RunningEdge {
  readonly pid: number
  /** Resolves with Kamailio's exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>
  stop(): Promise<void>
}

export interface StartOptions {
  kamailio: string
  /** Where Kamailio's log lines go (its stderr); default this process's stderr. */
  onLog?: (chunk: string) => void
  readyTimeoutMs?: number
}

/** An OPTIONS over UDP; any 200 means the SIP workers run. */
function probe(listen: EdgeSettings['listen'], timeoutMs: number): Promise<boolean> {
  const family = listen.host.includes(':') ? 'udp6' : 'udp4'
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host
  const socket = createSocket(family)
  return new Promise((done) => {
    const finish = (ok: boolean) => {
      clearTimeout(timer)
      socket.close()
      done(ok)
    }
    const timer = setTimeout(() => finish(false), timeoutMs)
    socket.on('error', () => finish(false))
    socket.on('message', (message) => finish(message.toString('latin1').startsWith('SIP/2.0 200')))
    socket.bind(0, host, () => {
      const local = socket.address()
      const at = family === 'udp6' ? `[${local.address}]:${local.port}` : `${local.address}:${local.port}`
      const tag = Math.random().toString(36).slice(2)
      const target = family === 'udp6' ? `[${host}]:${listen.port}` : `${host}:${listen.port}`
      const request = [
        `OPTIONS sip:probe@${target} SIP/2.0`, `Via: SIP/2.0/UDP ${at};rport;branch=z9hG4bK${tag}`, 'Max-Forwards: 70',
        `From: <sip:probe@${at}>;tag=${tag}`, `To: <sip:probe@${target}>`, `Call-ID: probe-${tag}`, 'CSeq: 1 OPTIONS',
        'Content-Length: 0', '', '',
      ].join('\r\n')
      socket.send(request, listen.port, host)
    })
  })
}

export async function startEdge(settings: EdgeSettings, options: StartOptions): Promise<RunningEdge> {
  const runDir = mkdtempSync(join(tmpdir(), 'callverify-sip-edge-'))
  const args = [
    '-DD', '-E', '-f', join(SIP_DIR, 'kamailio.cfg'), '-Y', runDir, '-w', runDir,
    '-l', socketName('udp', settings.listen), '-l', socketName('tcp', settings.listen),
    // Shared memory holds the held transactions and the report queue: 1,000 rings need ~10 MB.
    '-m', '128', '-M', '8',
  ]
  const child: ChildProcess = spawn(options.kamailio, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      SIP_TRUSTED_PEERS: settings.trustedPeers.join(','),
      SIPEDGE_REPORT_URL: `${settings.callverifyUrl}/webhooks/sip/invite`,
      SIP_SHARED_SECRET: settings.sharedSecret,
      RING_DELAY_MS: String(settings.ringDelayMs),
      SIPEDGE_CHILDREN: String(settings.workers),
    },
  })
  const log = options.onLog ?? ((chunk: string) => process.stderr.write(chunk))
  let tail = ''
  const keep = (text: string) => (tail = (tail + text).slice(-4000))
  // stdout is Kamailio's listen table, said once in our own words; stderr its log.
  child.stdout!.on('data', (chunk: Buffer) => keep(chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString()
    keep(text)
    log(text)
  })
  const exited = new Promise<number | null>((done) => {
    const finish = (code: number | null) => {
      rmSync(runDir, { recursive: true, force: true })
      done(code)
    }
    child.on('exit', finish)
    child.on('error', (error) => {
      keep(String(error))
      finish(-1)
    })
  })
  let running = true
  void exited.then(() => (running = false))

  const stop = async () => {
    if (running) child.kill('SIGTERM')
    const timer = setTimeout(() => running && child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }

  const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000)
  while (running && Date.now() < deadline) {
    if (await probe(settings.listen, 200)) return { pid: child.pid!, exited, stop }
  }
  await stop()
  throw new Error(`sip-edge: Kamailio did not come up on ${socketName('udp', settings.listen)}:\n${tail.trim()}`)
}
