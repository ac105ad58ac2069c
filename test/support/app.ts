import type { FastifyInstance } from 'fastify'
import { buildApp, type AppDeps } from '../../src/app.js'
import { DEV_DEFAULTS, loadConfig, type Config } from '../../src/config.js'
import type { PhoneHashKeys } from '../../src/domain/phonehash.js'
import { storeOptions } from '../../src/main.js'
import { createMemoryStore } from '../../src/store/memory.js'
import { createRedisStore } from '../../src/store/redis/index.js'
import type { Store } from '../../src/store/types.js'
import { deleteKeys, redisUrl, testPrefix } from './redis.js'

export type StoreKind = 'memory' | 'redis'
export const STORE_KINDS: StoreKind[] = ['memory', 'redis']

export const API_KEY = 'dev-api-key'
export const OTHER_API_KEY = 'other-tenant-key'
export const ADMIN_TOKEN = 'dev-admin-token'
export const TEST_ENV = {
  API_KEYS: `demo:${API_KEY},other:${OTHER_API_KEY}`,
  ADMIN_TOKENS: `alice:${ADMIN_TOKEN}`,
  LOG_LEVEL: 'silent',
  // Two cores running the suite in parallel lag the event loop: congestion (R13) is tested on purpose in pressure.test.ts.
  MAX_EVENT_LOOP_DELAY_MS: '0',
  MAX_EVENT_LOOP_UTILIZATION: '0',
}

/** The dev PHONE_HASH_KEY, for tests that open a store themselves. */
export const TEST_PHONE_HASH: PhoneHashKeys = { current: Buffer.from(DEV_DEFAULTS.PHONE_HASH_KEY, 'hex') }

export interface TestApp {
  app: FastifyInstance
  store: Store
  config: Config
  /** Moves the memory store's and the app's clock (memory only). */
  clock: { now: number; advance(ms: number): void }
  close(): Promise<void>
}

export interface TestAppOptions {
  env?: Record<string, string>
  /** Share one Redis prefix between several apps (two instances of one deployment). */
  keyPrefix?: string
  /** Start the memory clock here (ms); default: the real time now. */
  startAt?: number
  deps?: Partial<AppDeps>
}

/** A real app on a real store: memory with a controllable clock, or Redis under a fresh key prefix. */
export async function buildTestApp(kind: StoreKind, options: TestAppOptions = {}): Promise<TestApp> {
  const keyPrefix = options.keyPrefix ?? testPrefix()
  const config = loadConfig({ ...TEST_ENV, REDIS_URL: redisUrl(), REDIS_KEY_PREFIX: keyPrefix, STORE: kind, ...options.env })
  const clock = { now: options.startAt ?? Date.now(), advance(ms: number) { clock.now += ms } }
  const stored = storeOptions(config)
  const store = kind === 'memory'
    ? createMemoryStore({ ...stored, clock: () => clock.now })
    : await createRedisStore({ ...stored, url: config.redis, keyPrefix })
  await store.ensurePoolNumbers(config.pool)
  const app = await buildApp({
    config,
    store,
    logger: false,
    ...(kind === 'memory' ? { clock: () => clock.now } : {}),
    // A test that chose no time runs at the real time, which may fall in a seed closure (R12):
    // it gets an always-open calendar; the service-hours tests choose their time and calendar.
    ...(options.startAt === undefined && options.deps?.clock === undefined ? { calendar: { rules: [] } } : {}),
    ...options.deps,
  })
  await app.ready()
  return {
    app, store, config, clock,
    async close() {
      await app.close() // the store too (plugins/store.ts)
      if (kind === 'redis' && options.keyPrefix === undefined) await deleteKeys(keyPrefix)
    },
  }
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` }
}

/** Several instances of one deployment: Redis apps on one key prefix, closed and cleaned up together. */
export function deployment() {
  const apps: TestApp[] = []
  const keyPrefix = testPrefix()
  return {
    keyPrefix,
    /** `build` lets a suite use its own builder (it must pass the keyPrefix it is given on). */
    async instance(options: TestAppOptions = {}, build: (options: TestAppOptions) => Promise<TestApp> = (o) => buildTestApp('redis', o)): Promise<TestApp> {
      const t = await build({ ...options, keyPrefix })
      apps.push(t)
      return t
    },
    async close(): Promise<void> {
      await Promise.all(apps.splice(0).map((a) => a.close()))
      await deleteKeys(keyPrefix)
    },
  }
}
