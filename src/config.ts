import { randomBytes } from 'node:crypto'
import { callbackConfig } from './config/callbacks.js'
import { corsOrigins } from './config/cors.js'
import { isEd25519PublicKey, parseAdminTokens, parseApiKeys, parseTenantPolicy, phoneHashKeys } from './config/credentials.js'
import { DEMO_TENANT, DEV_DEFAULTS } from './config/defaults.js'
import { ConfigError, fraction, integer, list, trustProxy, type Env } from './config/env.js'
import { parsePool } from './config/pool.js'
import { configWarnings, productionProblems } from './config/production.js'
import { redisTarget } from './config/redis.js'
import type { Config } from './config/types.js'

// Environment → typed config, parsed once (docs/configuration.md). Dev defaults make `npm start`
// work with nothing else running; NODE_ENV=production refuses them by name (config/production.ts).
// The one entry: callers import from here, never from src/config/.

export type { AdminToken, ApiKey, Config, PressureLimits, RateLimits, RedisTarget, SentinelTarget } from './config/types.js'
export { DEMO_TENANT, DEV_DEFAULTS, MIN_SECRET_LENGTH } from './config/defaults.js'
export { ConfigError } from './config/env.js'
export { configWarnings } from './config/production.js'
export { retrySpanMs } from './config/callbacks.js'
export { loadServiceCalendar } from './config/calendar.js'

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = []
  const production = env.NODE_ENV === 'production'
  const port = integer(env, 'PORT', 3000, 0, 65535, problems)
  const publicBaseUrl = (env.PUBLIC_BASE_URL || `http://localhost:${port}`).replace(/\/+$/, '')
  if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(publicBaseUrl)) problems.push(`PUBLIC_BASE_URL must be an http(s) URL (got "${publicBaseUrl}")`)
  const store = (env.STORE || (env.REDIS_URL || env.REDIS_SENTINELS ? 'redis' : 'memory')) as Config['store']
  if (store !== 'memory' && store !== 'redis') problems.push(`STORE must be "memory" or "redis" (got "${env.STORE}")`)

  const pool = parsePool(env.POOL_NUMBERS ?? DEV_DEFAULTS.POOL_NUMBERS, problems)
  // Dev values make every carrier answer on `npm start`; production has none (unset = off).
  const credential = (name: keyof typeof DEV_DEFAULTS): string => env[name] ?? (production ? '' : DEV_DEFAULTS[name])

  const config: Config = {
    port,
    host: env.HOST || '0.0.0.0',
    publicBaseUrl,
    store,
    redis: redisTarget(env, problems),
    keyPrefix: env.REDIS_KEY_PREFIX || 'callverify:',
    apiKeys: parseApiKeys(env.API_KEYS || DEV_DEFAULTS.API_KEYS, problems),
    adminTokens: parseAdminTokens(env.ADMIN_TOKENS || DEV_DEFAULTS.ADMIN_TOKENS),
    twilio: {
      accountSid: env.TWILIO_ACCOUNT_SID || DEV_DEFAULTS.TWILIO_ACCOUNT_SID,
      authToken: env.TWILIO_AUTH_TOKEN ?? DEV_DEFAULTS.TWILIO_AUTH_TOKEN,
      apiUrl: (env.TWILIO_API_URL || 'https://api.twilio.com').replace(/\/+$/, ''),
    },
    signalwire: { signingKey: credential('SIGNALWIRE_SIGNING_KEY') },
    telnyx: {
      publicKey: credential('TELNYX_PUBLIC_KEY'),
      apiKey: env.TELNYX_API_KEY ?? '',
      apiUrl: (env.TELNYX_API_URL || 'https://api.telnyx.com').replace(/\/+$/, ''),
      texmlApplicationId: env.TELNYX_TEXML_APPLICATION_ID ?? '',
    },
    plivo: { authId: credential('PLIVO_AUTH_ID'), authTokens: list(credential('PLIVO_AUTH_TOKEN')) },
    bandwidth: { username: credential('BANDWIDTH_CALLBACK_USERNAME'), password: credential('BANDWIDTH_CALLBACK_PASSWORD') },
    sip: { sharedSecret: credential('SIP_SHARED_SECRET') },
    attestationPolicies: parseTenantPolicy(env.TENANT_POLICY ?? '', problems),
    poolNumbers: pool.map((p) => p.e164),
    pool,
    windowSeconds: integer(env, 'WINDOW_SECONDS', 120, 1, 3600, problems),
    // R6 rings a few times; Twilio waits 15 s for an answer, so 10 s is the ceiling.
    ringDelayMs: integer(env, 'RING_DELAY_MS', 6000, 0, 10_000, problems),
    lockAfterFailures: integer(env, 'LOCK_AFTER_FAILURES', 5, 1, 1000, problems),
    retentionHours: integer(env, 'RETENTION_HOURS', 24, 1, 24 * 90, problems),
    ...(env.SERVICE_CALENDAR ? { serviceCalendarFile: env.SERVICE_CALENDAR } : {}),
    rateLimits: {
      perApiKey: integer(env, 'RATE_LIMIT_API_KEY_PER_MINUTE', 600, 1, 1_000_000, problems),
      perPhoneNumber: integer(env, 'RATE_LIMIT_PHONE_PER_HOUR', 20, 1, 1_000_000, problems),
      perClientAddress: integer(env, 'RATE_LIMIT_CLIENT_PER_MINUTE', 300, 1, 1_000_000, problems),
    },
    pressure: {
      maxEventLoopDelayMs: integer(env, 'MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 60_000, problems),
      maxHeapUsedBytes: integer(env, 'MAX_HEAP_USED_BYTES', 0, 0, Number.MAX_SAFE_INTEGER, problems),
      maxRssBytes: integer(env, 'MAX_RSS_BYTES', 0, 0, Number.MAX_SAFE_INTEGER, problems),
      maxEventLoopUtilization: fraction(env, 'MAX_EVENT_LOOP_UTILIZATION', 0, problems),
    },
    trustProxy: trustProxy(env.TRUST_PROXY),
    health: {
      silentAfter: integer(env, 'HEALTH_SILENT_AFTER', 20, 1, 1_000_000, problems),
      intervalSeconds: integer(env, 'HEALTH_INTERVAL_SECONDS', 60, 1, 86_400, problems),
    },
    callbacks: callbackConfig(env, production, problems),
    outbox: {
      maxLength: integer(env, 'OUTBOX_MAX_LENGTH', 100_000, 10, 10_000_000, problems),
      claimIdleMs: integer(env, 'OUTBOX_CLAIM_IDLE_MS', 30_000, 100, 3_600_000, problems),
    },
    phoneHash: phoneHashKeys(env, problems),
    sseHeartbeatMs: integer(env, 'SSE_HEARTBEAT_MS', 15_000, 10, 120_000, problems),
    expirySweepMs: integer(env, 'EXPIRY_SWEEP_MS', 1000, 100, 60_000, problems),
    production,
    demo: !production,
    ...(env.METRICS_TOKEN ? { metricsToken: env.METRICS_TOKEN } : {}),
    warnings: configWarnings(env),
    corsOrigins: corsOrigins(env.CORS_ORIGINS, production, problems),
    logLevel: env.LOG_LEVEL || 'info',
  }
  if (config.adminTokens.length === 0) problems.push('ADMIN_TOKENS must name at least one token')
  if (config.demo && !config.apiKeys.some((k) => k.tenant === DEMO_TENANT)) {
    // The demo's own tenant, with a key nobody else holds: it never spends a bank's key or limits.
    config.apiKeys.push({ tenant: DEMO_TENANT, key: randomBytes(32).toString('base64url') })
  }
  if (config.telnyx.publicKey && !isEd25519PublicKey(config.telnyx.publicKey)) problems.push('TELNYX_PUBLIC_KEY must be the base64 of a 32-byte Ed25519 public key (Mission Control, "Public key")')
  if (production) problems.push(...productionProblems(env, config))
  if (problems.length > 0) throw new ConfigError(problems)
  return config
}
