import type { AttestationRequirement, Carrier } from '../domain/carrier.js'
import type { PhoneHashKeys } from '../domain/phonehash.js'

// The typed configuration loadConfig (src/config.ts) builds from the environment (docs/configuration.md).

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
  /** PHONE_HASH_KEY, PHONE_HASH_PREVIOUS_KEY (docs/contract.md "Personal data at rest"). */
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
