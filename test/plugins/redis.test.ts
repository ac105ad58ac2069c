import type { ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBullQueue } from '../../src/jobs/bullmq.js'
import { createRedisConnections } from '../../src/plugins/redis.js'
import { freePort } from '../support/global-setup.js'
import { killRedisServer, startRedisServer } from '../support/redis-server.js'
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js'

// The job queues' one Redis connection factory (plugins/redis.ts): every queue and worker
// connection opens there and closes with it, and closing has one grace in all, however many
// queues wait on a Redis that is away.

describe('redis plugin — the job queues\' connections', () => {
  let server: ChildProcess | undefined
  afterEach(async () => killRedisServer(server))

  it('close — quits every connection a queue and its worker opened', async () => {
    const prefix = testPrefix()
    const connections = createRedisConnections(redisUrl(), { prefix: `${prefix}bull` })
    const opened: string[] = []
    const open = connections.open.bind(connections)
    const redises: ReturnType<typeof open>[] = []
    connections.open = (name) => {
      opened.push(name)
      const redis = open(name)
      redises.push(redis)
      return redis
    }
    const queue = createBullQueue<{ n: number }>('test', connections)
    queue.work(async () => {})
    await queue.add('x', { n: 1 })
    expect(opened).toEqual(['test', 'test worker'])
    await queue.close()
    expect(redises.map((r) => r.status)).toEqual(['ready', 'ready']) // a queue's close leaves them to the factory
    await connections.close()
    await vi.waitFor(() => expect(redises.map((r) => r.status)).toEqual(['end', 'end']), { timeout: 2000 })
    await deleteKeys(prefix)
  })

  it('close — with Redis away, three queues and their workers close within the one grace', async () => {
    const port = await freePort()
    server = await startRedisServer(port)
    const connections = createRedisConnections(`redis://127.0.0.1:${port}`, { prefix: 'test:bull', graceMs: 1000 })
    const queues = ['a', 'b', 'c'].map((name) => createBullQueue<{ n: number }>(name, connections, { onError: () => {} }))
    for (const q of queues) {
      q.work(async () => {})
      await q.add('x', { n: 1 })
    }
    await killRedisServer(server)
    const started = Date.now()
    await Promise.all(queues.map((q) => q.close()))
    const waited = Date.now() - started
    expect(waited).toBeGreaterThanOrEqual(900) // the workers did wait for Redis, the grace long
    expect(waited).toBeLessThan(2500)
    // The grace is spent: the sockets are dropped at once, no QUIT waits on a Redis that is away.
    const closing = Date.now()
    await connections.close()
    expect(Date.now() - closing).toBeLessThan(500)
  })
})
