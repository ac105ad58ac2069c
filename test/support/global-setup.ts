import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import type { TestProject } from 'vitest/node'

// docs/contract.md "Running it": Redis suites use REDIS_URL, else a Redis on 127.0.0.1:6379, else a
// redis-server from PATH started here; with none of these they fail and say how to get one.

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string
  }
}

async function answers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null })
  redis.on('error', () => {})
  try {
    await redis.connect()
    return (await redis.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    redis.disconnect()
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

let started: ChildProcess | undefined

export async function setup(project: TestProject): Promise<void> {
  const candidates = [process.env.REDIS_URL, 'redis://127.0.0.1:6379'].filter((u): u is string => Boolean(u))
  for (const url of candidates) {
    if (await answers(url)) return project.provide('redisUrl', url)
  }
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  started.on('error', () => {})
  for (let i = 0; i < 50; i++) {
    if (await answers(url)) return project.provide('redisUrl', url)
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('The Redis suites need a Redis: set REDIS_URL, run one on 127.0.0.1:6379, or put redis-server on PATH (apt-get install redis-server).')
}

export async function teardown(): Promise<void> {
  started?.kill('SIGTERM')
}
