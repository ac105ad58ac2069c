import closeWithGrace from 'close-with-grace'
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, loadServiceCalendar, type Config } from './config.js'
import { SEED_CALENDAR, type ServiceCalendar } from './domain/calendar.js'
import { errorSummary } from './logging.js'
import { createMemoryStore } from './store/memory.js'
import { createRedisStore } from './store/redis/index.js'
import type { Store, StoreOptions } from './store/types.js'

// Process entry: config, store, app, listen; on SIGTERM close the listener, answer held
// calls, then close every plugin (onClose), the store last (plugins/store.ts), in that order.

// Node's default accept queue is 511: carriers' webhooks arriving 2,000 in a second on new
// connections overflow it while the loop is busy, and a dropped handshake waits a second to be
// retried. The kernel caps this at net.core.somaxconn (4096 on Linux since 5.4).
const LISTEN_BACKLOG = 4096

/** What both stores take from the config. */
export function storeOptions(config: Config): StoreOptions {
  return {
    lockAfterFailures: config.lockAfterFailures,
    retentionMs: config.retentionHours * 3600_000,
    phoneHash: config.phoneHash,
    outboxMaxLength: config.outbox.maxLength,
  }
}

export async function createStore(config: Config): Promise<Store> {
  const options = storeOptions(config)
  return config.store === 'redis' ? createRedisStore({ ...options, url: config.redis, keyPrefix: config.keyPrefix }) : createMemoryStore(options)
}

export function loadCalendar(config: Pick<Config, 'serviceCalendarFile'>): ServiceCalendar {
  return config.serviceCalendarFile ? loadServiceCalendar(config.serviceCalendarFile) : SEED_CALENDAR
}

async function main(): Promise<void> {
  let config: Config
  let calendar: ServiceCalendar
  try {
    config = loadConfig()
    calendar = loadCalendar(config)
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`callverify: ${error.message}`)
      process.exit(78) // EX_CONFIG
    }
    throw error
  }
  const store = await createStore(config)
  await store.ensurePoolNumbers(config.pool)
  const app = await buildApp({ config, store, calendar })
  closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err: errorSummary(err) }, 'closing after an error')
    else app.log.info({ signal }, 'closing')
    await app.close()
  })
  // fastify's own "listening" line is the first the process writes: it names what to open.
  // fastify asks once per address it listens on (0.0.0.0 may be two): the line names the service once.
  let named = false
  const listenText = (address: string): string => (named ? `also listening at ${address}` : ((named = true), servingLine(config)))
  await app.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG, listenTextResolver: listenText })
}

/** The first log line: where the service is, on which store, and the pages a newcomer opens. */
export function servingLine(config: Pick<Config, 'publicBaseUrl' | 'store' | 'demo'>): string {
  const base = config.publicBaseUrl
  const pages = [
    ...(config.demo ? [`${base}/demo (the customer's screens)`] : []),
    `${base}/docs (the API)`,
    ...(config.store === 'redis' ? [`${base}/admin/queues (the job queues)`] : []),
  ]
  return `callverify is serving ${base} on the ${config.store} store: ${pages.join(', ')}`
}

// Run when started as the program; importable (createStore) by the bench and tests.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) await main()
