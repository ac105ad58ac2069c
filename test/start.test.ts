import { spawn } from 'node:child_process'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it, onTestFinished } from 'vitest'
import { loadConfig } from '../src/config.js'
import { logDestination, loggerOptions, prettyStream } from '../src/logging.js'
import { servingLine } from '../src/main.js'
import { TEST_ENV } from './support/app.js'
import { freePort } from './support/global-setup.js'

// What a newcomer sees: `npm start` runs the sources (no build first), and its first line says
// where to look; a terminal gets readable lines, anything else JSON.

describe('npm start', () => {
  it('start — serves from the sources; the first line written names the service and its pages', async () => {
    const port = await freePort()
    const { REDIS_URL: _ignored, ...env } = process.env
    const child = spawn('npm', ['start', '--silent'], {
      // Four pool numbers for TEST_ENV's two tenants: no pool sizing warning before the first line.
      env: { ...env, ...TEST_ENV, POOL_NUMBERS: '+81120000001,+81120000002,+81120000003,+81120000004', LOG_LEVEL: 'info', PORT: String(port), HOST: '127.0.0.1', PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, STORE: 'memory' },
      stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    })
    onTestFinished(() => {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL')
    })
    let output = ''
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const first = await new Promise<string>((resolve, reject) => {
      let buffered = ''
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString()
        if (buffered.includes('\n')) resolve(buffered.slice(0, buffered.indexOf('\n')))
      })
      child.on('exit', (code) => reject(new Error(`npm start exited ${code}:\n${output}${buffered}`)))
    })
    const line = JSON.parse(first) as { level: number; msg: string }
    expect(line.msg).toBe(`callverify is serving http://127.0.0.1:${port} on the memory store: http://127.0.0.1:${port}/demo (the customer's screens), http://127.0.0.1:${port}/docs (the API)`)
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
  }, 60_000)

  it('servingLine — names /admin/queues on the Redis store, and no /demo where it is off', () => {
    const config = loadConfig({ STORE: 'redis', NODE_ENV: 'test', PUBLIC_BASE_URL: 'https://cv.example' })
    expect(servingLine({ ...config, demo: false })).toBe('callverify is serving https://cv.example on the redis store: https://cv.example/docs (the API), https://cv.example/admin/queues (the job queues)')
  })
})

describe('log lines', () => {
  it('logDestination — JSON when stdout is not a terminal', () => {
    const destination = logDestination(false)
    onTestFinished(() => destination.flush())
    expect(destination.stream.constructor.name).toBe('SonicBoom')
  })

  it('prettyStream — readable lines for a terminal, redacted as the JSON ones are', () => {
    let text = ''
    const sink = new Writable({ write(chunk, _encoding, done) { text += chunk.toString(); done() } })
    const stream = prettyStream(sink)!
    const log = pino(loggerOptions('info') as pino.LoggerOptions, stream)
    log.info({ pollToken: 'secret-poll-token', route: '/v1/verifications/:id' }, 'request')
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: request\n/)
    expect(text).toContain('route: "/v1/verifications/:id"')
    expect(text).toContain('[redacted]')
    expect(text).not.toContain('secret-poll-token')
    expect(() => JSON.parse(text)).toThrow()
  })
})
