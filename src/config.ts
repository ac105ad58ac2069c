import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { ServiceCalendar } from './domain/calendar.js'
import { parseServiceCalendar } from './domain/calendar-file.js'
import { ATTESTATION_REQUIREMENTS, splitPoolEntry, type AttestationRequirement, type Carrier } from './domain/carrier.js'
import { normalizePoolNumber } from './domain/phone.js'
import { retrySpan } from './domain/retry.js'
import { parsePhoneHashKey, type PhoneHashKeys } from './domain/phonehash.js'

// Environment → typed config, parsed once (CONTRACT.md "Configuration"). Dev defaults make
// `npm start` work with nothing else running; NODE_ENV=production refuses them by name.

export interface ApiKey {
  tenant: string
  key: string
}

export interface AdminToken {
  /** Who the audit log says made a change. */
  name: string
  token: string
}

export interface RateLimits {
  /** Requests per minute per API key (all /v1 backend calls). */
  perApiKey: number
  /** Creates per hour per tenant and phone number. */
  perPhoneNumber: number
  /** Requests per minute per client address on poll and events. */
  perClientAddress: number
}

/** R13: under-pressure thresholds; 0 turns one off. */
export interface PressureLimits {
  maxEventLoopDelayMs: number
  maxHeapUsedBytes: number
  maxRssBytes: number
  /** 0–1, over each one-second sample. */
  maxEventLoopUtilization: number
}

/** Sentinel mode: the Sentinels name the current primary, and name the new one after a failover. */
export interface SentinelTarget {
  sentinels: { host: string; port: number }[]
  /** The master group name the Sentinels monitor. */
  name: string
  /** The Redis servers' password (REDIS_PASSWORD); the Sentinels' own is sentinelPassword. */
  password?: string
  sentinelPassword?: string
}

/** REDIS_URL (one server) or REDIS_SENTINELS; src/store/redis/connection.ts opens either. */
export type RedisTarget = string | SentinelTarget

export interface Config {
  port: number
  host: string
  publicBaseUrl: string
  store: 'memory' | 'redis'
  redis: RedisTarget
  keyPrefix: string
  apiKeys: ApiKey[]
  adminTokens: AdminToken[]
  /** An empty auth token (TWILIO_AUTH_TOKEN=) turns Twilio off. */
  twilio: { accountSid: string; authToken: string; apiUrl: string }
  /** Each carrier is off (its webhooks 404) while its credential is empty; see carriers/registry.ts. */
  signalwire: { signingKey: string }
  telnyx: { publicKey: string; apiKey: string; apiUrl: string; texmlApplicationId: string }
  /** authTokens: PLIVO_AUTH_TOKEN, comma separated while a token rotates (any one verifies). */
  plivo: { authId: string; authTokens: string[] }
  bandwidth: { username: string; password: string }
  /** The key of the SIP edge's report signature (src/carriers/sip/signature.ts), shared with `npm run sip-edge`. */
  sip: { sharedSecret: string }
  /** TENANT_POLICY: tenants that require a caller-ID attestation (domain/carrier.ts). */
  attestationPolicies: Map<string, AttestationRequirement>
  /** The pool's E.164 numbers (POOL_NUMBERS without the @carrier). */
  poolNumbers: string[]
  /** POOL_NUMBERS with each number's carrier (`+81…@telnyx`; default twilio). */
  pool: { e164: string; carrier: Carrier }[]
  windowSeconds: number
  ringDelayMs: number
  lockAfterFailures: number
  retentionHours: number
  serviceCalendarFile?: string
  rateLimits: RateLimits
  pressure: PressureLimits
  /** fastify's trustProxy: behind a load balancer the client address comes from X-Forwarded-For. */
  trustProxy: boolean | string | ((address: string, hop: number) => boolean)
  /** The pool health job: a number handed out this many times without a call is silent. */
  health: { silentAfter: number; intervalSeconds: number }
  /**
   * Event callbacks (src/jobs/callbacks.ts): delivery timeout (DNS included), retry schedule, private
   * targets (dev only), deliveries at once per instance, and at once per tenant (one tenant's slow
   * receiver holds at most that many).
   */
  callbacks: {
    allowPrivate: boolean; timeoutMs: number; attempts: number; backoffMs: number; backoffCapMs: number
    concurrency: number; tenantConcurrency: number
  }
  /** The event outbox (src/jobs/outbox.ts): its cap, and when a dead relay's entries are taken over. */
  outbox: { maxLength: number; claimIdleMs: number }
  /** PHONE_HASH_KEY, PHONE_HASH_PREVIOUS_KEY (CONTRACT "Personal data at rest"). */
  phoneHash: PhoneHashKeys
  /** SSE: a comment line this often keeps proxies from closing an idle stream. */
  sseHeartbeatMs: number
  /** R3 as an event: how often the expiry sweep expires what is due (src/jobs/expiry.ts). */
  expirySweepMs: number
  production: boolean
  /** /demo is served in dev only (production refuses DEMO=1), as its own tenant `demo`. */
  demo: boolean
  /** Bearer token Prometheus scrapes /metrics with; admin tokens are accepted too. */
  metricsToken?: string
  /** Start-up warnings (main.ts logs them): settings that work but are risky. */
  warnings: string[]
  /** Origins the poll-token routes answer CORS for ('*': any; dev default). Never '*' in production. */
  corsOrigins: string[]
  logLevel: string
}

/** The tenant the dev demo opens its verifications as: never a bank's tenant or key. */
export const DEMO_TENANT = 'demo'

/** Keys and tokens shorter than this are guessable offline from one captured callback signature. */
export const MIN_SECRET_LENGTH = 32

export const DEV_DEFAULTS = {
  API_KEYS: 'demo:dev-api-key',
  ADMIN_TOKENS: 'dev-admin-token',
  TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'dev-auth-token',
  POOL_NUMBERS: '+81120000001,+81120000002,+81120000003',
  // A fixed dev key, so a dev Redis stays readable across restarts; production refuses it.
  PHONE_HASH_KEY: '63616c6c766572696679206465762070686f6e652068617368206b6579203031',
  SIGNALWIRE_SIGNING_KEY: 'dev-signalwire-signing-key',
  // The public half of src/carriers/telnyx/sign.ts' dev key, which the simulator signs with.
  TELNYX_PUBLIC_KEY: 'TF79o22WoJbysd1mN01ZXQjBHSa3aF+TTPT1cZIFtTI=',
  PLIVO_AUTH_ID: `MA${'0'.repeat(18)}`,
  PLIVO_AUTH_TOKEN: 'dev-plivo-auth-token',
  BANDWIDTH_CALLBACK_USERNAME: 'callverify',
  BANDWIDTH_CALLBACK_PASSWORD: 'dev-bandwidth-password',
  SIP_SHARED_SECRET: 'dev-sip-shared-secret',
} as const

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

function integer(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`)
    return fallback
  }
  return value
}

function fraction(env: Env, name: string, fallback: number, problems: string[]): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0 || value > 1) problems.push(`${name} must be a number from 0 to 1 (got "${raw}")`)
  return Number.isFinite(value) ? value : fallback
}

/** TRUST_PROXY: unset (trust nobody), true, a hop count, or addresses/CIDRs comma separated. */
function trustProxy(raw: string | undefined): Config['trustProxy'] {
  if (!raw || raw === 'false') return false
  if (raw === 'true') return true
  const hops = /^\d+$/.test(raw) ? Number(raw) : undefined
  return hops === undefined ? raw : (_address, hop) => hop < hops
}

function list(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter(Boolean)
}

function parseApiKeys(raw: string, problems: string[]): ApiKey[] {
  const keys = list(raw).map((pair) => {
    const at = pair.indexOf(':')
    return { tenant: pair.slice(0, at), key: pair.slice(at + 1) }
  })
  if (keys.length === 0 || keys.some((k) => !/^[A-Za-z0-9_.-]{1,64}$/.test(k.tenant) || k.key.length < 8)) {
    problems.push('API_KEYS must be tenant:key pairs, comma separated (tenant [A-Za-z0-9_.-], key ≥ 8 characters)')
  }
  return keys
}

/** REDIS_URL, or REDIS_SENTINELS (host:port, comma separated) with REDIS_SENTINEL_NAME; never both. */
function redisTarget(env: Env, problems: string[]): RedisTarget {
  const url = env.REDIS_URL ?? ''
  if (!env.REDIS_SENTINELS) {
    for (const name of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_PASSWORD']) {
      if (env[name]) problems.push(`${name} applies only with REDIS_SENTINELS${name === 'REDIS_PASSWORD' ? ' (with REDIS_URL the password goes in the URL: redis://:password@host:6379)' : ''}`)
    }
    return url || 'redis://127.0.0.1:6379'
  }
  if (url) problems.push('REDIS_URL and REDIS_SENTINELS are both set: set one (with Sentinel, the Sentinels name the primary)')
  const sentinels = list(env.REDIS_SENTINELS).map((entry) => {
    // host:port, [ipv6]:port; the port defaults to Sentinel's 26379.
    const match = /^(?:\[([^\]]+)\]|([^\s:[\]]+))(?::(\d{1,5}))?$/.exec(entry)
    const port = Number(match?.[3] ?? 26379)
    if (!match || port < 1 || port > 65535) problems.push(`REDIS_SENTINELS: "${entry}" is not host:port (comma separated, e.g. 10.0.0.1:26379,10.0.0.2:26379)`)
    return { host: match?.[1] ?? match?.[2] ?? entry, port }
  })
  if (sentinels.length === 0) problems.push('REDIS_SENTINELS must list at least one host:port')
  const name = env.REDIS_SENTINEL_NAME || 'mymaster'
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) problems.push(`REDIS_SENTINEL_NAME must be the master group name of "sentinel monitor" ([A-Za-z0-9_.-]; got "${name}")`)
  return {
    sentinels,
    name,
    ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
    ...(env.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: env.REDIS_SENTINEL_PASSWORD } : {}),
  }
}

function parseAdminTokens(raw: string): AdminToken[] {
  // "name:token" names the holder for the audit log; a bare token is named by its position.
  return list(raw).map((entry, index) => {
    const at = entry.indexOf(':')
    return at > 0 ? { name: entry.slice(0, at), token: entry.slice(at + 1) } : { name: `admin-${index + 1}`, token: entry }
  })
}

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = []
  const production = env.NODE_ENV === 'production'
  const port = integer(env, 'PORT', 3000, 0, 65535, problems)
  const publicBaseUrl = (env.PUBLIC_BASE_URL || `http://localhost:${port}`).replace(/\/+$/, '')
  if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(publicBaseUrl)) problems.push(`PUBLIC_BASE_URL must be an http(s) URL (got "${publicBaseUrl}")`)
  const store = (env.STORE || (env.REDIS_URL || env.REDIS_SENTINELS ? 'redis' : 'memory')) as Config['store']
  if (store !== 'memory' && store !== 'redis') problems.push(`STORE must be "memory" or "redis" (got "${env.STORE}")`)

  const pool = list(env.POOL_NUMBERS ?? DEV_DEFAULTS.POOL_NUMBERS).map((entry) => {
    const { number, carrier } = splitPoolEntry(entry)
    const e164 = normalizePoolNumber(number)
    if (!e164) problems.push(`POOL_NUMBERS: "${number}" is not a valid E.164 number`)
    if (!carrier) problems.push(`POOL_NUMBERS: "${entry}" names no known carrier (twilio, signalwire, telnyx, plivo, bandwidth, sip)`)
    return { e164: e164 ?? number, carrier: carrier ?? 'twilio' }
  })
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

/** TENANT_POLICY: `tenant:attestation=not-failed`, comma separated (domain ATTESTATION_REQUIREMENTS). */
function parseTenantPolicy(raw: string, problems: string[]): Map<string, AttestationRequirement> {
  const policies = new Map<string, AttestationRequirement>()
  for (const entry of list(raw)) {
    const match = /^([A-Za-z0-9_.-]{1,64}):attestation=([a-z-]+)$/.exec(entry)
    const requirement = match?.[2] as AttestationRequirement | undefined
    if (!match || !requirement || !ATTESTATION_REQUIREMENTS.includes(requirement)) {
      problems.push(`TENANT_POLICY: "${entry}" is not tenant:attestation=${ATTESTATION_REQUIREMENTS.join('|')}`)
    } else policies.set(match[1]!, requirement)
  }
  return policies
}

/** R12: the SERVICE_CALENDAR file, read and checked at start; a bad one names the file and the field. */
export function loadServiceCalendar(file: string): ServiceCalendar {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigError([`SERVICE_CALENDAR: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`])
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new ConfigError([`SERVICE_CALENDAR ${file} is not JSON: ${(error as Error).message}`])
  }
  try {
    return parseServiceCalendar(json)
  } catch (error) {
    // parseServiceCalendar names the field: "service calendar: rules[1].start must be …"
    throw new ConfigError([`SERVICE_CALENDAR ${file}: ${(error as Error).message}`])
  }
}

/** NODE_ENV=production refuses to start while a credential is missing or still a dev default. */
function productionProblems(env: Env, config: Config): string[] {
  const problems: string[] = []
  for (const name of ['API_KEYS', 'ADMIN_TOKENS', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'] as const) {
    const value = env[name]
    if (!value) problems.push(`${name} is required in production`)
    else if (value === DEV_DEFAULTS[name] || (name === 'API_KEYS' && list(value).some((p) => p.endsWith(':dev-api-key'))) || (name === 'ADMIN_TOKENS' && list(value).some((t) => t.endsWith('dev-admin-token')))) {
      problems.push(`${name} is still the dev default`)
    }
  }
  if (!env.PUBLIC_BASE_URL) problems.push('PUBLIC_BASE_URL is required in production (the carrier signs requests to it)')
  // Over http a captured signed webhook is there for anyone on the path to replay.
  else if (!config.publicBaseUrl.startsWith('https://')) problems.push(`PUBLIC_BASE_URL must be https in production (got "${config.publicBaseUrl}"): webhooks and their signatures would travel in clear`)
  problems.push(...secretProblems(config))
  if (!env.POOL_NUMBERS) problems.push('POOL_NUMBERS is required in production: the dev numbers are not yours, and customers would dial them (then be locked, B84)')
  if (config.store === 'memory') problems.push('STORE=memory is refused in production: one process, nothing survives a restart, no limit holds across instances; set REDIS_URL or REDIS_SENTINELS')
  // The demo opens verifications for any number without a credential: an open, CSRF-able proxy.
  if (env.DEMO === '1') problems.push('DEMO=1 is refused in production: /demo opens verifications for any number without a credential (dev only)')
  if (!env.PHONE_HASH_KEY) problems.push('PHONE_HASH_KEY is required in production (32 random bytes, hex or base64: openssl rand -hex 32)')
  else if (env.PHONE_HASH_KEY.trim().toLowerCase() === DEV_DEFAULTS.PHONE_HASH_KEY) problems.push('PHONE_HASH_KEY is still the dev default')
  const sip = env.SIP_SHARED_SECRET
  if (sip && (sip === DEV_DEFAULTS.SIP_SHARED_SECRET || sip.length < 32)) problems.push('SIP_SHARED_SECRET must be at least 32 random characters in production, not the dev default')
  return problems
}

/**
 * Production secrets: long enough not to be guessed offline (an API key keys the callback HMAC,
 * so one captured callback is a test for every guess), and one secret never serves two holders
 * (SecretSet would pick the first: a bank would act as another). Named, never printed.
 */
function secretProblems(config: Config): string[] {
  const problems: string[] = []
  const holders = [
    ...config.apiKeys.map((k) => ({ variable: 'API_KEYS', who: `the key of tenant "${k.tenant}"`, secret: k.key })),
    ...config.adminTokens.map((t) => ({ variable: 'ADMIN_TOKENS', who: `the token "${t.name}"`, secret: t.token })),
    ...(config.metricsToken ? [{ variable: 'METRICS_TOKEN', who: 'the token', secret: config.metricsToken }] : []),
  ]
  const seen = new Map<string, (typeof holders)[number]>()
  for (const holder of holders) {
    if (holder.secret.length < MIN_SECRET_LENGTH) {
      problems.push(`${holder.variable}: ${holder.who} is shorter than ${MIN_SECRET_LENGTH} characters (${holder.secret.length}); production needs at least ${MIN_SECRET_LENGTH} random ones (openssl rand -base64 32)`)
    }
    const first = seen.get(holder.secret)
    if (first) problems.push(`${holder.variable}: ${holder.who} is the same secret as ${first.who} (${first.variable}); each holder needs its own`)
    else seen.set(holder.secret, holder)
  }
  return problems
}

/** Settings that work but weaken something; main.ts logs each at start (README "Security"). */
export function configWarnings(env: Env): string[] {
  return env.TRUST_PROXY === 'true'
    ? ['TRUST_PROXY=true trusts the leftmost X-Forwarded-For, which any client can write: the per-address limits can be bypassed. Set the number of proxies in front (TRUST_PROXY=1) or their addresses']
    : []
}

/**
 * CONTRACT "CORS": the origins of the banks' frontends that may call the poll-token routes.
 * Dev default '*'; production names them (unset there: no cross-origin access) and refuses '*',
 * since any page could then drive a customer's verification with a leaked poll token.
 */
function corsOrigins(raw: string | undefined, production: boolean, problems: string[]): string[] {
  const origins = list(raw ?? (production ? '' : '*'))
  for (const origin of origins) {
    if (origin === '*') {
      if (production) problems.push('CORS_ORIGINS cannot be * in production: name the frontends\' origins (https://bank.example, comma separated)')
      continue
    }
    const url = URL.canParse(origin) ? new URL(origin) : undefined
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== origin) {
      problems.push(`CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port], no path or trailing slash)`)
    }
  }
  return origins
}


/** The keys customer numbers are kept under (domain/phonehash.ts); a rotation names the old one PHONE_HASH_PREVIOUS_KEY. */
function phoneHashKeys(env: Env, problems: string[]): PhoneHashKeys {
  const key = (name: 'PHONE_HASH_KEY' | 'PHONE_HASH_PREVIOUS_KEY', raw: string): Buffer | undefined => {
    const parsed = parsePhoneHashKey(raw)
    if (!parsed) problems.push(`${name} must be at least 32 bytes, hex or base64 (openssl rand -hex 32)`)
    return parsed
  }
  const current = key('PHONE_HASH_KEY', env.PHONE_HASH_KEY || DEV_DEFAULTS.PHONE_HASH_KEY) ?? Buffer.from(DEV_DEFAULTS.PHONE_HASH_KEY, 'hex')
  const previous = env.PHONE_HASH_PREVIOUS_KEY ? key('PHONE_HASH_PREVIOUS_KEY', env.PHONE_HASH_PREVIOUS_KEY) : undefined
  if (previous?.equals(current)) problems.push('PHONE_HASH_PREVIOUS_KEY is the same key as PHONE_HASH_KEY: a rotation sets a new PHONE_HASH_KEY')
  return previous ? { current, previous } : { current }
}

/** How long a failing callback keeps being retried (the queues wait by the same cappedBackoffMs). */
export function retrySpanMs(c: Config['callbacks']): number {
  return retrySpan(c.backoffMs, c.backoffCapMs, c.attempts)
}

/** CONTRACT "Event callbacks": never private or loopback targets in production, retried for at least an hour. */
function callbackConfig(env: Env, production: boolean, problems: string[]): Config['callbacks'] {
  const raw = env.CALLBACK_ALLOW_PRIVATE
  if (raw !== undefined && raw !== '' && !['true', 'false', '1', '0'].includes(raw)) problems.push(`CALLBACK_ALLOW_PRIVATE must be true or false (got "${raw}")`)
  const callbacks = {
    // Dev default: the demo and the tests receive callbacks on localhost.
    allowPrivate: raw === undefined || raw === '' ? !production : raw === 'true' || raw === '1',
    timeoutMs: integer(env, 'CALLBACK_TIMEOUT_MS', 5000, 50, 30_000, problems),
    attempts: integer(env, 'CALLBACK_ATTEMPTS', 15, 1, 100, problems),
    backoffMs: integer(env, 'CALLBACK_BACKOFF_MS', 2000, 10, 3_600_000, problems),
    backoffCapMs: integer(env, 'CALLBACK_BACKOFF_CAP_MS', 600_000, 10, 86_400_000, problems),
    concurrency: integer(env, 'CALLBACK_CONCURRENCY', 16, 1, 1000, problems),
    tenantConcurrency: integer(env, 'CALLBACK_TENANT_CONCURRENCY', 4, 1, 1000, problems),
  }
  if (production && callbacks.allowPrivate) problems.push('CALLBACK_ALLOW_PRIVATE cannot be true in production (callbacks never go to private or loopback addresses)')
  if (production && retrySpanMs(callbacks) < 3_600_000) {
    problems.push(`CALLBACK_ATTEMPTS/CALLBACK_BACKOFF_MS/CALLBACK_BACKOFF_CAP_MS retry for ${Math.round(retrySpanMs(callbacks) / 1000)} s; production retries for at least an hour`)
  }
  return callbacks
}

/** TELNYX_PUBLIC_KEY's shape: the canonical base64 of a raw 32-byte Ed25519 key (carriers/telnyx/signature.ts makes the key). */
function isEd25519PublicKey(base64: string): boolean {
  const raw = Buffer.from(base64, 'base64')
  return raw.length === 32 && raw.toString('base64') === base64
}
