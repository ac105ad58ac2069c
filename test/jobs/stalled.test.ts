import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { createBullQueue } from '../../src/jobs/bullmq.js'
import { callbackFor, callbackJobOptions, type CallbackJob } from '../../src/jobs/callbacks.js'
import type { JobQueue } from '../../src/jobs/queue.js'
import { storeOptions } from '../../src/main.js'
import { createRedisConnections } from '../../src/plugins/redis.js'
import { createRedisStore } from '../../src/store/redis/index.js'
import type { Store } from '../../src/store/types.js'
import { API_KEY, TEST_ENV } from '../support/app.js'
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js'
import { startReceiver, waitUntil, type Receiver } from './support/receiver.js'

// A worker process killed in the middle of a delivery must not lose the job: BullMQ's lock
// on it lapses, the stalled check puts it back, and the restarted worker delivers it.

const WORKER = fileURLToPath(new URL('./support/worker.ts', import.meta.url))

describe('callback worker killed mid-delivery (Redis)', () => {
  const prefix = testPrefix()
  const children: ChildProcess[] = []
  const connections = createRedisConnections(redisUrl(), { prefix: `${prefix}bull` })
  let producer: JobQueue<CallbackJob> | undefined
  let store: Store | undefined
  let receiver: Receiver | undefined
  afterEach(async () => {
    for (const child of children) child.kill('SIGKILL')
    await producer?.close()
    await connections.close()
    await store?.close()
    await receiver?.close()
    await deleteKeys(prefix)
  })

  const env = { ...process.env, ...TEST_ENV, REDIS_URL: redisUrl(), REDIS_KEY_PREFIX: prefix, STORE: 'redis', CALLBACK_BACKOFF_MS: '100', CALLBACK_TIMEOUT_MS: '20000' }

  function startWorker(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    children.push(child)
    return new Promise((resolve, reject) => {
      child.once('message', () => resolve(child))
      child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)))
    })
  }

  // Two worker processes start under tsx: slow on a busy machine.
  it('callbacks — the job survives SIGKILL of its worker and is delivered once a worker runs again', { timeout: 60_000 }, async () => {
    // The first delivery hangs (a slow receiver) while its worker dies; later ones succeed.
    receiver = await startReceiver(API_KEY, (_r, n) => (n === 0 ? 'hang' : 200))
    const first = await startWorker()
    producer = createBullQueue<CallbackJob>('callbacks', connections)
    // A real confirmed verification in the store: the worker derives what it sends from it.
    const config = loadConfig(env)
    store = await createRedisStore({ ...storeOptions(config), url: config.redis, keyPrefix: prefix })
    await store.ensurePoolNumbers(config.poolNumbers)
    const { verification: v } = await store.createVerification({
      id: 'vf_stalled', tenant: 'demo', phoneNumber: '+819012345678', pollTokenHash: 'ab', windowMs: 60_000, random: 0, callbackUrl: receiver.url,
    })
    await store.recordCall({ callSid: `CA${'5'.repeat(32)}`, from: '+819012345678', to: v.verificationNumber })
    await store.confirmVerification(v.id, 'demo')
    const job: CallbackJob = { eventId: 'vf_stalled.confirmed' }
    const { body } = await callbackFor(store, job.eventId)
    await producer.add('callback', job, callbackJobOptions(config.callbacks, job.eventId))

    await receiver.waitFor((r) => r.received.length === 1, 10_000)
    first.kill('SIGKILL')
    await new Promise((r) => first.once('exit', r))
    expect(await producer.isPending(job.eventId)).toBe(true) // still active, its lock running out

    await startWorker()
    await receiver.waitFor((r) => r.delivered.length === 1, 15_000)
    expect(receiver.received.map((r) => r.eventId)).toEqual([job.eventId, job.eventId])
    expect(receiver.delivered[0]!.signed).toBe(true)
    expect(receiver.delivered[0]!.body).toBe(body)
    await waitUntil(async () => !(await producer!.isPending(job.eventId)), 5000, 'job completed')
    expect(await producer.failed(10)).toEqual([])
  })
})
