import pino from 'pino'
import { loadConfig } from '../../../src/config.js'
import { createBullQueue } from '../../../src/jobs/bullmq.js'
import { callbackHandler, type CallbackJob } from '../../../src/jobs/callbacks.js'
import { storeOptions } from '../../../src/main.js'
import { createMetrics } from '../../../src/plugins/metrics.js'
import { createRedisConnections } from '../../../src/plugins/redis.js'
import { createRedisStore } from '../../../src/store/redis/index.js'

// A callback worker alone in its own process, as a production instance runs it, so a test can
// SIGKILL it in the middle of a delivery. Short locks (env) let the stalled check act in ~1 s.
const config = loadConfig(process.env)
const lock = Number(process.env.TEST_LOCK_MS ?? 1000)
const store = await createRedisStore({ ...storeOptions(config), url: config.redis, keyPrefix: config.keyPrefix })
const connections = createRedisConnections(config.redis, { prefix: `${config.keyPrefix}bull` })
const queue = createBullQueue<CallbackJob>('callbacks', connections, { worker: { lockDuration: lock, stalledInterval: lock / 2 } })
queue.work(callbackHandler({ store, queue, config, metrics: createMetrics(), log: pino({ level: 'silent' }) }))
process.send?.('ready')
process.on('SIGTERM', () => void queue.close().then(() => connections.close()).then(() => store.close()).then(() => process.exit(0)))
