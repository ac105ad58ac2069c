import closeWithGrace from 'close-with-grace'
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, loadServiceCalendar, type Config } from './config.js'
import { SEED_CALENDAR, type ServiceCalendar } from './domain/calendar.js'
import { createMemoryStore } from './store/memory.js'
import { createRedisStore } from './store/redis/index.js'
import type { Store } from './store/types.js'

// Process entry: config, store, app, listen; on SIGTERM close the listener, answer held
// calls, then close every plugin (onClose), in that order.

export async function createStore(config: Config): Promise<Store> {
  const common = { lockAfterFailures: config.lockAfterFailures, retentionMs: config.retentionHours * 3600_000 }
  return config.store === 'redis' ? createRedisStore({ ...common, url: config.redis, keyPrefix: config.keyPrefix }) : createMemoryStore(common)
}

export function loadCalendar(config: Config): ServiceCalendar {
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
  app.addHook('onClose', async () => store.close())
  closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'closing')
    await app.close()
  })
  await app.listen({ port: config.port, host: config.host })
  app.log.info({ store: config.store, publicBaseUrl: config.publicBaseUrl }, 'callverify is serving')
}

// Run when started as the program; importable (createStore) by the bench and tests.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) await main()
