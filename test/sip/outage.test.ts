import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifySipSignature } from '../../src/carriers/sip/signature.js'
import { buildTestApp } from '../support/app.js'
import { keys, sipp, sipToolsPresent, SIP_SHARED_SECRET, startTestEdge, systemSpanInSippMs, type TestEdge } from './support.js'

// The service down or slow never reaches the trunk: the ring is the edge's own, so every call
// still ends 486 after RING_DELAY_MS (never a 5xx, never a 2xx), and the edge keeps serving.

const RING_MS = 800
const CALLER = 'sip:+819012345678@trunk.example;user=phone'
const present = sipToolsPresent()

describe.skipIf(!present)('SIP edge — the service down or slow', () => {
  let hanging: Server
  const held: { body: string; signature: string | undefined }[] = []

  beforeAll(async () => {
    // Takes the report and never answers, as a service stuck on its store would.
    hanging = createServer((request) => {
      let body = ''
      request.on('data', (chunk: Buffer) => (body += chunk.toString()))
      request.on('end', () => held.push({ body, signature: request.headers['x-callverify-sip-signature'] as string | undefined }))
    })
    await new Promise<void>((done) => hanging.listen(0, '127.0.0.1', done))
  })
  afterAll(async () => {
    hanging.closeAllConnections()
    await new Promise((done) => hanging.close(done))
  })

  it('service stopped — still 180, then 486 after the ring', async () => {
    // A port a service listened on a moment ago, now refusing connections.
    const service = await buildTestApp('memory', { env: { SIP_SHARED_SECRET } })
    const url = await service.app.listen({ port: 0, host: '127.0.0.1' })
    await service.close()
    const edge = await startTestEdge({ callverifyUrl: url, ringDelayMs: RING_MS })
    try {
      const run = await sipp('ring', { edge: edge.listen, calls: 5, keys: keys(CALLER, '0120000001') })
      expect(run.code, run.output).toBe(0)
      expect(Math.min(...run.timers.ring!)).toBeGreaterThanOrEqual(systemSpanInSippMs(run, RING_MS))
      expect((await sipp('options', { edge: edge.listen })).code).toBe(0)
    } finally {
      await edge.stop()
    }
  })

  it('service hanging — 486 after the ring all the same; the report it got was signed', async () => {
    const { port } = hanging.address() as AddressInfo
    const edge: TestEdge = await startTestEdge({ callverifyUrl: `http://127.0.0.1:${port}`, ringDelayMs: RING_MS })
    try {
      const run = await sipp('ring', { edge: edge.listen, calls: 5, keys: keys(CALLER, '0120000001') })
      expect(run.code, run.output).toBe(0)
      expect(Math.min(...run.timers.ring!)).toBeGreaterThanOrEqual(systemSpanInSippMs(run, RING_MS))
      expect(held.length).toBeGreaterThan(0)
      const { body, signature } = held[0]!
      expect(verifySipSignature({ secret: SIP_SHARED_SECRET, header: signature, rawBody: Buffer.from(body), now: Date.now() })).toBe(true)
      expect(verifySipSignature({ secret: 'another-secret', header: signature, rawBody: Buffer.from(body), now: Date.now() })).toBe(false)
    } finally {
      await edge.stop()
    }
  })
})
