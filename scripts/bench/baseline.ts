import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'

// The yardstick for `npm run bench`: bare fastify + ioredis, one HGETALL of a
// verification-shaped hash per request, no auth, schema, logging or Lua. Run as a child
// process (forked by api.ts) so that it is measured exactly the way the app is.

const HASH = 'baseline:v'

/** The child side of api.ts' startServer: tells the parent its port, and closes when the parent lets go of it. */
export function serveChild(app: FastifyInstance, close: () => Promise<void>): void {
  const exit = async () => {
    await close()
    process.exit(0)
  }
  process.once('disconnect', exit)
  process.once('SIGTERM', exit)
  const address = app.server.address()
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
}

async function serveBaseline(): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379', { keyPrefix: process.env.BENCH_PREFIX ?? 'cvbench:' })
  const now = Date.now()
  await redis.hset(HASH, {
    id: `vf_${'x'.repeat(24)}`, tenant: 'bench', phone: '+819012345678', to: '+81120000001', status: 'pending',
    createdAt: now, expiresAt: now + 3_600_000, calls: 0, tokenHash: 'f'.repeat(64),
  })
  await redis.pexpire(HASH, 3_600_000)

  const app = Fastify({ logger: false })
  app.get('/v1/verifications/:id', async () => redis.hgetall(HASH))
  app.post('/v1/verifications', async (_request, reply) => reply.code(201).send(await redis.hgetall(HASH)))
  // The voice row's yardstick: a form POST answered with one Redis read and a fixed XML body.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body))
  app.post('/webhooks/twilio/voice', async (_request, reply) => {
    await redis.hgetall(HASH)
    return reply.type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="busy"/></Response>')
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  serveChild(app, async () => {
    await app.close()
    await redis.quit().catch(() => redis.disconnect())
  })
}

const entry = process.argv[1] === undefined ? '' : realpathSync(process.argv[1])
if (entry === fileURLToPath(import.meta.url)) await serveBaseline()
