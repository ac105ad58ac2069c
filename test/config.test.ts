import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { DEV_DEFAULTS, loadConfig } from '../src/config.js'
import { configProblems as problems } from './support/production.js'

describe('config', () => {
  it('config — dev defaults need nothing set: memory store, port 3000, three dev numbers', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({ port: 3000, host: '0.0.0.0', store: 'memory', publicBaseUrl: 'http://localhost:3000', windowSeconds: 120, ringDelayMs: 6000, lockAfterFailures: 5, retentionHours: 24, demo: true })
    expect(config.poolNumbers).toEqual(['+81120000001', '+81120000002', '+81120000003'])
    expect(config.apiKeys).toEqual([{ tenant: 'demo', key: 'dev-api-key' }])
  })

  it('config — REDIS_URL selects the Redis store; STORE overrides', () => {
    expect(loadConfig({ REDIS_URL: 'redis://r:6379' }).store).toBe('redis')
    expect(loadConfig({ REDIS_URL: 'redis://r:6379', STORE: 'memory' }).store).toBe('memory')
  })

  it('config — REDIS_SENTINELS selects the Redis store through Sentinel (master group mymaster unless named)', () => {
    expect(loadConfig({}).redis).toBe('redis://127.0.0.1:6379')
    const config = loadConfig({ REDIS_SENTINELS: '10.0.0.1:26379, sentinel-b, [::1]:26380', REDIS_PASSWORD: 'p', REDIS_SENTINEL_PASSWORD: 's' })
    expect(config.store).toBe('redis')
    expect(config.redis).toEqual({
      sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: 'sentinel-b', port: 26379 }, { host: '::1', port: 26380 }],
      name: 'mymaster', password: 'p', sentinelPassword: 's',
    })
    expect(loadConfig({ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'cv-prod' }).redis).toMatchObject({ name: 'cv-prod' })
  })

  it('config — Redis settings that cannot work together or do not parse are refused by name', () => {
    expect(problems({ REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 's:26379' })).toEqual([expect.stringMatching(/REDIS_URL and REDIS_SENTINELS/)])
    expect(problems({ REDIS_SENTINELS: 's:99999,a b' })).toEqual([expect.stringContaining('"s:99999"'), expect.stringContaining('"a b"')])
    expect(problems({ REDIS_SENTINELS: ' , ' })).toEqual(['REDIS_SENTINELS must list at least one host:port'])
    expect(problems({ REDIS_SENTINELS: 's', REDIS_SENTINEL_NAME: 'my master' })).toEqual([expect.stringMatching(/REDIS_SENTINEL_NAME/)])
    expect(problems({ REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'p', REDIS_SENTINEL_NAME: 'x' })).toEqual([
      expect.stringMatching(/^REDIS_SENTINEL_NAME applies only with REDIS_SENTINELS/),
      expect.stringMatching(/^REDIS_PASSWORD applies only with REDIS_SENTINELS \(with REDIS_URL the password goes in the URL/),
    ])
  })

  it('config — production refuses missing and default credentials, naming each one', () => {
    const found = problems({ NODE_ENV: 'production' })
    for (const name of ['API_KEYS', 'ADMIN_TOKENS', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'PUBLIC_BASE_URL', 'PHONE_HASH_KEY']) {
      expect(found.join('\n'), name).toContain(name)
    }
    const defaults = problems({ NODE_ENV: 'production', API_KEYS: 'demo:dev-api-key', ADMIN_TOKENS: 'dev-admin-token', TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'dev-auth-token', PUBLIC_BASE_URL: 'https://cv.example.com', PHONE_HASH_KEY: DEV_DEFAULTS.PHONE_HASH_KEY.toUpperCase() })
    expect(defaults).toEqual(expect.arrayContaining(['API_KEYS is still the dev default', 'ADMIN_TOKENS is still the dev default', 'TWILIO_ACCOUNT_SID is still the dev default', 'TWILIO_AUTH_TOKEN is still the dev default', 'PHONE_HASH_KEY is still the dev default']))
    // test/config-production.test.ts holds the other refusals (short or shared secrets, dev pool, memory store).
    const ok = problems({ NODE_ENV: 'production', API_KEYS: `bank:${'k'.repeat(32)}`, ADMIN_TOKENS: `ops:${'o'.repeat(32)}`, TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'real-token', PUBLIC_BASE_URL: 'https://cv.example.com', POOL_NUMBERS: '+81120000009', REDIS_URL: 'redis://r:6379', PHONE_HASH_KEY: randomBytes(32).toString('base64') })
    expect(ok).toEqual([])
  })

  it('config — PHONE_HASH_KEY and PHONE_HASH_PREVIOUS_KEY: at least 32 bytes, hex or base64, and not the same key', () => {
    const hex = randomBytes(32).toString('hex')
    const previous = randomBytes(48).toString('base64url')
    const config = loadConfig({ PHONE_HASH_KEY: hex, PHONE_HASH_PREVIOUS_KEY: previous })
    expect(config.phoneHash.current).toEqual(Buffer.from(hex, 'hex'))
    expect(config.phoneHash.previous).toEqual(Buffer.from(previous, 'base64url'))
    expect(loadConfig({}).phoneHash).toEqual({ current: Buffer.from(DEV_DEFAULTS.PHONE_HASH_KEY, 'hex') })
    expect(problems({ PHONE_HASH_KEY: randomBytes(31).toString('hex') })).toEqual([expect.stringMatching(/^PHONE_HASH_KEY must be at least 32 bytes/)])
    expect(problems({ PHONE_HASH_KEY: 'not a key!' })).toEqual([expect.stringMatching(/^PHONE_HASH_KEY must be at least 32 bytes/)])
    expect(problems({ PHONE_HASH_PREVIOUS_KEY: 'short' })).toEqual([expect.stringMatching(/^PHONE_HASH_PREVIOUS_KEY must be at least 32 bytes/)])
    expect(problems({ PHONE_HASH_KEY: hex, PHONE_HASH_PREVIOUS_KEY: hex })).toEqual([expect.stringMatching(/the same key/)])
  })

  it('config — bad values are refused with a message that names the variable', () => {
    const found = problems({ PORT: 'abc', WINDOW_SECONDS: '0', RING_DELAY_MS: '15000', POOL_NUMBERS: '+81120000001,12345', API_KEYS: 'nokey', STORE: 'mongo' })
    expect(found.join('\n')).toMatch(/PORT/)
    expect(found.join('\n')).toMatch(/WINDOW_SECONDS/)
    expect(found.join('\n')).toMatch(/RING_DELAY_MS must be a whole number from 0 to 10000/)
    expect(found.join('\n')).toMatch(/POOL_NUMBERS: "12345"/)
    expect(found.join('\n')).toMatch(/API_KEYS/)
    expect(found.join('\n')).toMatch(/STORE/)
  })

  it('config — admin tokens are named for the audit log, by name:token or by position', () => {
    expect(loadConfig({ ADMIN_TOKENS: 'alice:tok-a,tok-b' }).adminTokens).toEqual([{ name: 'alice', token: 'tok-a' }, { name: 'admin-2', token: 'tok-b' }])
  })

  it('config — src/config.ts is the one entry: nothing else imports a module of src/config/', () => {
    const root = fileURLToPath(new URL('../', import.meta.url))
    const sources = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? (join(dir, e.name) === join(root, 'src', 'config') ? [] : sources(join(dir, e.name))) : /\.ts$/.test(e.name) ? [join(dir, e.name)] : [])
    const files = ['src', 'scripts', 'test'].flatMap((dir) => sources(join(root, dir))).filter((f) => !f.endsWith(join('src', 'config.ts')))
    expect(files.length).toBeGreaterThan(100)
    const inside = /^\s*(?:import|export)\b[^'"]*from\s*'[^']*\bconfig\/[^']*'|\bimport\(\s*'[^']*\bconfig\/[^']*'\s*\)/m
    expect(files.filter((f) => inside.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f))).toEqual([])
    const folder = 'config' // so that this file does not match itself
    expect(inside.test(`import {\n  list,\n} from '../${folder}/env.js'`)).toBe(true)
    expect(inside.test(`const { list } = await import('../../src/${folder}/env.js')`)).toBe(true)
    expect(inside.test(`import { loadConfig } from '../src/${folder}.js'`)).toBe(false)
  })
})
