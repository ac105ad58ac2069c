import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyRequest, RouteOptions } from 'fastify'
import type { Redis } from 'ioredis'
import { CallverifyError } from '../domain/errors.js'
import { normalizeRegisteredNumber } from '../domain/phone.js'
import { bearerDigest } from '../http/auth.js'
import { openRedis, STORE_CONNECTION_OPTIONS, waitReady } from '../store/redis/connection.js'

// CONTRACT 429 TOO_MANY_REQUESTS: per API key on every /v1 call a backend makes, per tenant and
// phone number on create, per client address on poll and events when no API key is presented
// (the frontend's poll token). In Redis mode the counters live in Redis, so the limits hold
// across every instance; carrier webhooks are never limited (their routes get no hook).

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which limit a /v1 route adds to the per-API-key one (v1.ts sets it). */
    rateLimitKind?: 'create' | 'poll'
  }
}

const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000
// A limiter must not add a second of latency when Redis is slow: past this it lets the request by.
const COMMAND_TIMEOUT_MS = 500

/** The rate-limit key for a number: never the number itself (R1), one-way and per tenant. */
export function phoneKey(tenant: string, e164: string): string {
  return `phone:${createHash('sha256').update(`${tenant}\n${e164}`).digest('base64url').slice(0, 22)}`
}

function registeredNumber(body: unknown): string | undefined {
  const raw = (body as { phoneNumber?: unknown } | undefined)?.phoneNumber
  if (typeof raw !== 'string') return undefined
  try {
    return normalizeRegisteredNumber(raw)
  } catch {
    return undefined // the handler answers INVALID_PHONE_NUMBER
  }
}

function hooks(existing: RouteOptions['onRequest'] | RouteOptions['preHandler']): unknown[] {
  return existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]
}

export default fp(async (app) => {
  const { config } = app
  let redis: Redis | undefined
  if (config.store === 'redis') {
    // Auto-pipelining: the counts of all requests arriving in one turn of the event loop go in
    // one write (a socket write per count was most of the limiter's cost on a status poll).
    const client = openRedis(config.redis, { ...STORE_CONNECTION_OPTIONS, commandTimeout: COMMAND_TIMEOUT_MS, enableAutoPipelining: true })
    client.on('error', () => {}) // skipOnError lets requests by while Redis is away; ioredis reconnects
    app.addHook('onClose', async () => {
      await client.quit().catch(() => client.disconnect())
    })
    // Counting from the first request: before 'ready' every command fails and would be skipped.
    await waitReady(client, 2000).catch(() => app.log.warn('rate limits: Redis not ready yet, limits skipped until it is'))
    redis = client
  }
  // createRateLimit rather than route config: one counter per API key across all routes, and
  // several limits on one request (route config runs one limiter per request and keys it by route).
  // One limiter without options, told each time which count it is, because a limiter made with
  // options gets a child store named by route method and URL (`rl:undefinedundefined-key:…`):
  // this way the keys read `<prefix>rl:key:<tenant>`, `rl:phone:<digest>`, `rl:addr:<address>`.
  const counting = new WeakMap<FastifyRequest, { key: string; max: number; timeWindow: number }>()
  const current = (request: FastifyRequest) => counting.get(request)!
  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    keyGenerator: (request) => current(request).key,
    max: (request) => current(request).max,
    timeWindow: (request) => current(request).timeWindow,
    cache: 15_000, // memory mode: what three limiters of 5,000 each held
    ...(redis ? { redis, nameSpace: `${config.keyPrefix}rl:` } : {}),
  })
  const check = app.createRateLimit()

  function limiter(max: number, timeWindow: number) {
    return async (request: FastifyRequest, key: string): Promise<void> => {
      counting.set(request, { key, max, timeWindow })
      const result = await check(request)
      if (!result.isAllowed && result.isExceeded) {
        throw new CallverifyError('TOO_MANY_REQUESTS', {}, { retryAfterSeconds: Math.max(1, result.ttlInSeconds) })
      }
    }
  }
  const perApiKey = limiter(config.rateLimits.perApiKey, MINUTE_MS)
  const perPhoneNumber = limiter(config.rateLimits.perPhoneNumber, HOUR_MS)
  const perClientAddress = limiter(config.rateLimits.perClientAddress, MINUTE_MS)
  const tenantOf = (request: FastifyRequest) => app.apiKeys.matchDigest(bearerDigest(request))

  const byCaller = (kind: string | undefined) => async function rateLimitByCaller(request: FastifyRequest): Promise<void> {
    const tenant = tenantOf(request)
    if (tenant !== undefined) await perApiKey(request, `key:${tenant}`)
    else if (kind === 'poll') await perClientAddress(request, `addr:${normalizeIP(request.ip)}`)
  }

  // After validation: the number is read from the checked body, normalised, so 090… and +8190…
  // count as one; the create handler takes it from request.phoneNumber rather than parse it again.
  async function rateLimitByNumber(request: FastifyRequest): Promise<void> {
    const tenant = tenantOf(request)
    const e164 = tenant === undefined ? undefined : registeredNumber(request.body)
    if (tenant === undefined || e164 === undefined) return
    request.phoneNumber = e164
    await perPhoneNumber(request, phoneKey(tenant, e164))
  }

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/')) return
    const kind = route.config?.rateLimitKind
    route.onRequest = [...hooks(route.onRequest), byCaller(kind)] as RouteOptions['onRequest']
    if (kind === 'create') route.preHandler = [...hooks(route.preHandler), rateLimitByNumber] as RouteOptions['preHandler']
  })
}, { name: 'ratelimit' })
