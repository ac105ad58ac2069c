import { buildApp } from '../../../src/app.js'
import { loadConfig } from '../../../src/config.js'
import { createStore } from '../../../src/main.js'

// One whole instance (store, relay, workers, HTTP) in its own process, so a test can SIGKILL it
// the moment after a change and start another. Configured by the environment, as in production.
const config = loadConfig(process.env)
const store = await createStore(config)
await store.ensurePoolNumbers(config.poolNumbers)
const app = await buildApp({ config, store, calendar: { rules: [] }, logger: false })
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
