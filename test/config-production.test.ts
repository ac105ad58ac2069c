import { spawnSync } from 'node:child_process'
import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { configProblems as problems, PRODUCTION_ENV } from './support/production.js'

// Issue 14 item 6: NODE_ENV=production refuses to start, naming each variable, while a secret is
// short or shared, the pool is the dev one, or the store is memory; TRUST_PROXY=true warns.


const LONG = (c: string) => c.repeat(32)

describe('production guard (issue 14 item 6)', () => {
  it('config — the production environment of the tests starts', () => {
    expect(problems(PRODUCTION_ENV)).toEqual([])
  })

  it('config — refuses API keys and admin tokens shorter than 32 characters, naming the holder, never the secret', () => {
    const found = problems({ ...PRODUCTION_ENV, API_KEYS: `bank:short-key-8,other:${LONG('o')}`, ADMIN_TOKENS: 'ops:x', METRICS_TOKEN: 'm' })
    expect(found).toEqual([
      'API_KEYS: the key of tenant "bank" is shorter than 32 characters (11); production needs at least 32 random ones (openssl rand -base64 32)',
      'ADMIN_TOKENS: the token "ops" is shorter than 32 characters (1); production needs at least 32 random ones (openssl rand -base64 32)',
      'METRICS_TOKEN: the token is shorter than 32 characters (1); production needs at least 32 random ones (openssl rand -base64 32)',
    ])
    expect(found.join('\n')).not.toContain('short-key-8')
  })

  it('config — refuses one key serving two tenants, or a secret that is also another kind of credential', () => {
    expect(problems({ ...PRODUCTION_ENV, API_KEYS: `a:${LONG('k')},b:${LONG('k')}` })).toEqual([
      'API_KEYS: the key of tenant "b" is the same secret as the key of tenant "a" (API_KEYS); each holder needs its own',
    ])
    expect(problems({ ...PRODUCTION_ENV, API_KEYS: `a:${LONG('k')}`, ADMIN_TOKENS: `ops:${LONG('k')}`, METRICS_TOKEN: LONG('k') })).toEqual([
      'ADMIN_TOKENS: the token "ops" is the same secret as the key of tenant "a" (API_KEYS); each holder needs its own',
      'METRICS_TOKEN: the token is the same secret as the key of tenant "a" (API_KEYS); each holder needs its own',
    ])
  })

  it('config — refuses the dev pool (POOL_NUMBERS unset) and the memory store', () => {
    const { POOL_NUMBERS: _pool, REDIS_URL: _redis, ...rest } = PRODUCTION_ENV
    expect(problems(rest)).toEqual([
      expect.stringMatching(/^POOL_NUMBERS is required in production/),
      expect.stringMatching(/^STORE=memory is refused in production/),
    ])
    expect(problems({ ...PRODUCTION_ENV, STORE: 'memory' })).toEqual([expect.stringMatching(/^STORE=memory is refused/)])
  })

  it('start-up — the process exits 78 before serving and names every problem at once', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', API_KEYS: 'a:12345678,b:12345678', ADMIN_TOKENS: 'ops:t', TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: LONG('t'), PUBLIC_BASE_URL: 'http://cv.example', DEMO: '1', PORT: '0' },
      // tsx compiles main.ts first: slow on a loaded machine.
      encoding: 'utf8', timeout: 60_000,
    })
    expect(run.status).toBe(78)
    for (const named of ['API_KEYS: the key of tenant "a"', 'API_KEYS: the key of tenant "b" is the same secret', 'ADMIN_TOKENS: the token "ops"', 'POOL_NUMBERS is required', 'STORE=memory is refused', 'PUBLIC_BASE_URL must be https', 'DEMO=1 is refused']) {
      expect(run.stderr).toContain(named)
    }
    expect(run.stderr).not.toContain('12345678')
  }, 70_000)

  describe('TRUST_PROXY=true', () => {
    let t: TestApp | undefined
    afterEach(async () => t?.close())

    it('start-up — logs a warning that the per-address limits can be bypassed; TRUST_PROXY=1 does not', async () => {
      for (const [value, warned] of [['true', true], ['1', false]] as const) {
        const lines: string[] = []
        const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } })
        t = await buildTestApp('memory', { env: { TRUST_PROXY: value }, deps: { logger: { level: 'warn', stream } } })
        const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40 && l.msg.startsWith('TRUST_PROXY=true'))
        expect(warnings.length, value).toBe(warned ? 1 : 0)
        if (warned) expect(warnings[0]!.msg).toContain('per-address limits can be bypassed')
        await t.close()
        t = undefined
      }
    })
  })
})
