import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { CallCore } from './carriers/core.js'
import { enabledAdapters } from './carriers/registry.js'
import { DEMO_TENANT, type Config } from './config.js'
import { SEED_CALENDAR, type ServiceCalendar } from './domain/calendar.js'
import { CallverifyError } from './domain/errors.js'
import adminRoutes from './http/admin/index.js'
import consoleRoutes from './http/admin/console.js'
import queuesDashboard from './http/admin/queues.js'
import { randomToken } from './http/auth.js'
import pollTokenCors from './http/cors.js'
import demoRoutes from './http/demo/routes.js'
import { errorHandler, notFoundHandler, sendError, toContractError } from './http/errors.js'
import eventsRoutes from './http/events.js'
import opsRoutes from './http/ops.js'
import { ErrorBody } from './http/schemas/errors.js'
import sdkRoutes from './http/sdk.js'
import v1Routes from './http/v1.js'
import carrierRoutes from './http/webhooks.js'
import { logDestination, loggerOptions } from './logging.js'
import { PACKAGE_VERSION } from './package.js'
import auth from './plugins/auth.js'
import carrierClients, { type CarrierClientDeps } from './plugins/carriers.js'
import gate from './plugins/gate.js'
import health from './plugins/health.js'
import jobs from './plugins/jobs.js'
import metrics from './plugins/metrics.js'
import poolSize from './plugins/poolsize.js'
import pressure from './plugins/pressure.js'
import rateLimits from './plugins/ratelimit.js'
import redis from './plugins/redis.js'
import store from './plugins/store.js'
import watch from './plugins/watch.js'
import type { Store } from './store/types.js'

export interface AppDeps {
  config: Config
  /** The store (plugins/store.ts closes it with the app). */
  store: Store
  /** The app's clock for service hours (the store judges windows by its own). */
  clock?: () => number
  calendar?: ServiceCalendar
  /**
   * Elapsed time in ms from any fixed point, for "how long since": the maintenance cache's age and
   * the congestion warm-up (default performance.now; tests move it instead of sleeping).
   */
  monotonic?: () => number
  /** An extra overload signal for R13 (tests inject congestion with it). */
  congested?: () => boolean
  /** The carriers' REST clients (pool sync); by default made from the config on first use. */
  carrierClients?: CarrierClientDeps
  logger?: FastifyServerOptions['logger']
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    clock: () => number
  }
  interface FastifyRequest {
    /** The verification the request is about, for its log line. */
    verificationId: string | null
  }
}

interface RequestLine { route: string; method: string; status: number; ms: number; verificationId?: string; tenant?: string }

// Generous server timeouts: a long-poll holds 30 s, an SSE stream longer.
const REQUEST_TIMEOUT_MS = 60_000
const KEEP_ALIVE_TIMEOUT_MS = 72_000

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps
  // A request id only ties log lines together: a random prefix per app and a counter, since
  // randomBytes on every request was 4 % of a status poll's CPU (npm run bench).
  const requestIdPrefix = randomToken(6)
  let requests = 0
  const destination = deps.logger === undefined ? logDestination() : undefined
  const app = Fastify({
    logger: deps.logger ?? { ...(loggerOptions(config.logLevel) as object), stream: destination!.stream },
    // One line per request, written in onResponse below, instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => `${requestIdPrefix}${(++requests).toString(36)}`,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    trustProxy: config.trustProxy,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
    // Bad URLs and bodies the framework refuses answer in the contract's shape too.
    frameworkErrors: (error, _request, reply) => {
      sendError(reply, toContractError(error) ?? new CallverifyError('INVALID_REQUEST'))
    },
  })

  app.decorate('config', config)
  app.decorate('clock', deps.clock ?? Date.now)
  app.decorateRequest('verificationId', null)
  app.addHook('onReady', async () => {
    for (const warning of config.warnings) app.log.warn({ component: 'config' }, warning)
  })
  if (destination) app.addHook('onClose', async () => destination.flush())
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)
  app.addSchema(ErrorBody)

  // The shared resources, each a plugin with its decorator; fastify closes them last first,
  // so the store closes after the jobs and the watch that use it.
  await app.register(metrics)
  await app.register(store, { store: deps.store })
  await app.register(redis)
  await app.register(auth)
  await app.register(carrierClients, { clients: deps.carrierClients ?? {} })
  await app.register(watch)
  await app.register(gate, { calendar: deps.calendar ?? SEED_CALENDAR, ...(deps.monotonic ? { monotonic: deps.monotonic } : {}) })
  await app.register(jobs)
  await app.register(poolSize)
  await app.register(health)

  // One hook for the request's log line and its metrics: request.routeOptions builds a new
  // object on every read, so it is read once.
  const { requests: requestCount, requestSeconds } = app.metrics
  // A refused or failed request is worth a line at info; an answered one only at debug: at info
  // it was a tenth of a create's CPU and more of a poll's (npm run bench, BENCH_CPU_PROF). The
  // level is the app's for its life, so whether answered requests get a line is known here.
  const answeredLines = app.log.level === 'debug' || app.log.level === 'trace'
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unknown'
    const failed = reply.statusCode >= 400
    if (failed || answeredLines) {
      const line: RequestLine = { route, method: request.method, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }
      if (request.verificationId) line.verificationId = request.verificationId
      if (request.tenant) line.tenant = request.tenant
      if (failed) request.log.info(line, 'request')
      else request.log.debug(line, 'request')
    }
    requestCount.inc({ route, method: request.method, status: String(reply.statusCode) })
    requestSeconds.observe({ route }, reply.elapsedTime / 1000)
    done()
  })

  await app.register(swagger, {
    openapi: {
      info: { title: 'callverify', version: PACKAGE_VERSION, description: 'Phone ownership by an unanswered call (docs/contract.md)' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  await app.register(opsRoutes)
  // One scope for /v1: congestion (R13), the caller's tenant, its rate limits and CORS (the
  // poll-token routes) are hooks of this scope's routes and of no other.
  await app.register(async (v1) => {
    await v1.register(pressure, { ...config.pressure, ...(deps.congested ? { congested: deps.congested } : {}), ...(deps.monotonic ? { monotonic: deps.monotonic } : {}) })
    v1.addHook('onRequest', v1.auth.resolveTenant)
    // Before the routes: both attach their hooks to routes as they are registered.
    await v1.register(rateLimits)
    await v1.register(pollTokenCors, { origins: config.corsOrigins })
    await v1.register(v1Routes)
    await v1.register(eventsRoutes)
  }, { prefix: '/v1' })
  await app.register(sdkRoutes, { prefix: '/sdk' })
  await app.register(adminRoutes, { prefix: '/admin' })
  // The console page and its sign-in, beside the /admin routes (not behind their Bearer token).
  await app.register(consoleRoutes, { prefix: '/admin' })
  await app.register(queuesDashboard, { prefix: '/admin/queues' })
  await registerCarriers(app)
  // Screens ③ and ④ for a bank's developers: dev only (production refuses DEMO=1).
  if (config.demo) await app.register(demoRoutes, { prefix: '/demo', apiKey: demoKey(config) })
  return app
}

/** One call core for every carrier; a carrier whose credentials are unset has no routes (404). */
async function registerCarriers(app: FastifyInstance): Promise<void> {
  const { config, store, metrics } = app
  const core = new CallCore({
    store, ringDelayMs: config.ringDelayMs, attestationPolicies: config.attestationPolicies,
    metrics: { calls: metrics.calls, heldCalls: metrics.heldCalls },
  })
  // Held answers survive shutdown (docs/contract.md "voice"): app.close() runs preClose before
  // the listener closes and open requests are awaited, so every held caller hears the reject
  // now; new calls meet fastify's 503 (return503OnClosing) and the carrier tries its fallback URL.
  app.addHook('preClose', async () => {
    const released = core.releaseAll()
    if (released > 0) app.log.info({ released }, 'shutdown: answered held calls')
  })
  for (const adapter of enabledAdapters(config)) {
    await app.register(carrierRoutes, { prefix: `/webhooks/${adapter.carrier}`, adapter, core })
  }
}

/** The `demo` tenant's key: config.ts adds one in dev, so the demo never holds a bank's key. */
function demoKey(config: Config): string {
  const key = config.apiKeys.find((k) => k.tenant === DEMO_TENANT)?.key
  if (!key) throw new Error(`the demo needs the ${DEMO_TENANT} tenant's API key (config.ts adds one in dev)`)
  return key
}
