import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { simulateCall } from '../src/carriers/twilio/simulate.js'
import { REJECT_BUSY_TWIML } from '../src/carriers/twilio/twiml.js'
import { ADMIN_TOKEN, STORE_KINDS, TEST_ENV } from './support/app.js'
import { freePort } from './support/global-setup.js'
import { deleteKeys, redisUrl, testPrefix } from './support/redis.js'

// docs/contract.md "voice": held answers survive shutdown. src/main.ts as a real process on a real
// port, 20 calls ringing for 8 s, then SIGTERM: every caller hears the reject well before 8 s
// and the process exits 0 (close-with-grace → app.close() → preClose releases the held calls).

const RING_MS = 8000
const CALLS = 20

async function heldCalls(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text()
  return Number(/^callverify_held_calls (\d+)/m.exec(text)?.[1] ?? -1)
}

for (const kind of STORE_KINDS) {
  describe(`shutdown on the ${kind} store`, () => {
    let child: ChildProcess | undefined
    const prefix = testPrefix()
    afterEach(async () => {
      if (child && child.exitCode === null) child.kill('SIGKILL')
      if (kind === 'redis') await deleteKeys(prefix)
    })

    it('SIGTERM — answers every held call with the reject at once, then exits 0', async () => {
      const port = await freePort()
      const url = `http://127.0.0.1:${port}`
      const { REDIS_URL: _ignored, ...env } = process.env
      child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        env: {
          ...env, ...TEST_ENV, NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', PUBLIC_BASE_URL: url,
          RING_DELAY_MS: String(RING_MS), STORE: kind, LOG_LEVEL: 'info',
          ...(kind === 'redis' ? { REDIS_URL: redisUrl(), REDIS_KEY_PREFIX: prefix } : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let output = ''
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
      const exited = once(child, 'exit') as Promise<[number | null, string | null]>
      while (!output.includes('callverify is serving')) {
        if (child.exitCode !== null) throw new Error(`main.ts exited early:\n${output}`)
        await sleep(50)
      }

      const started = performance.now()
      const calls = Array.from({ length: CALLS }, () =>
        simulateCall({ url, from: '09012345678', to: '+81120000001', authToken: 'dev-auth-token' }).then((c) => ({ ...c, at: performance.now() - started })))
      while ((await heldCalls(url)) < CALLS) await sleep(25)
      child.kill('SIGTERM')

      const answers = await Promise.all(calls)
      for (const a of answers) {
        expect(a.status).toBe(200)
        expect(a.contentType).toBe('text/xml')
        expect(a.body).toBe(REJECT_BUSY_TWIML)
        expect(a.at).toBeLessThan(RING_MS / 2)
      }
      const [code] = await exited
      expect(code, output).toBe(0)
      expect(performance.now() - started).toBeLessThan(RING_MS / 2)
      expect(output).toContain('"released":20')
      // After the exit nobody is listening: Twilio's retry goes to the fallback URL (another instance).
      await expect(fetch(`${url}/healthz`)).rejects.toThrow()
    })
  })
}
