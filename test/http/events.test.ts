import { afterEach, describe, expect, it } from 'vitest'
import { API_KEY, OTHER_API_KEY, STORE_KINDS, bearer, buildTestApp, type TestApp, deployment } from '../support/app.js'
import { waitUntil } from '../jobs/support/receiver.js'

// GET /v1/verifications/:id/events over a real listener: what an EventSource sees.

interface Stream {
  status: number
  contentType: string | null
  events: { id?: string; event?: string; data: Record<string, unknown> & { status: string } }[]
  comments: string[]
  ended: boolean
  abort(): void
}

/** Reads a text/event-stream as it arrives. */
async function open(url: string, headers: Record<string, string> = {}): Promise<Stream> {
  const controller = new AbortController()
  const res = await fetch(url, { headers, signal: controller.signal })
  const stream: Stream = { status: res.status, contentType: res.headers.get('content-type'), events: [], comments: [], ended: false, abort: () => controller.abort() }
  if (res.status !== 200 || !res.body) {
    stream.ended = true
    return stream
  }
  void (async () => {
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        let cut
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut)
          buffer = buffer.slice(cut + 2)
          const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]))
          for (const line of block.split('\n')) if (line.startsWith(':')) stream.comments.push(line)
          if (fields.data !== undefined) stream.events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) })
        }
      }
    } catch {
      // aborted
    }
    stream.ended = true
  })()
  return stream
}

let sid = 0
const CALLER = '+819012345678'

async function create(t: TestApp) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09012345678' } })
  return res.json() as { id: string; pollToken: string; verificationNumber: { e164: string } }
}
const call = (t: TestApp, v: { verificationNumber: { e164: string } }) => t.store.recordCall({ callSid: `CA${String(++sid).padStart(32, '0')}`, from: CALLER, to: v.verificationNumber.e164 })
const statuses = (s: Stream) => s.events.map((e) => e.data.status)

for (const kind of STORE_KINDS) {
  describe(`SSE on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    async function start(env: Record<string, string> = {}) {
      t = await buildTestApp(kind, { env })
      return t.app.listen({ port: 0, host: '127.0.0.1' })
    }

    it('events — the status on connect and on every change, then the stream ends after a terminal status', async () => {
      const base = await start()
      const v = await create(t)
      const s = await open(`${base}/v1/verifications/${v.id}/events?token=${v.pollToken}`)
      expect(s.status).toBe(200)
      expect(s.contentType).toMatch(/^text\/event-stream/)
      await waitUntil(() => s.events.length === 1)
      expect(s.events[0]).toMatchObject({ id: 'pending', event: 'status', data: { id: v.id, status: 'pending', remainingSeconds: 120 } })
      expect(s.events[0]!.data.pollToken).toBeUndefined()
      await call(t, v)
      await waitUntil(() => s.events.length === 2)
      await t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/confirm`, headers: bearer(API_KEY) })
      await waitUntil(() => s.ended, 5000, 'stream end')
      expect(statuses(s)).toEqual(['pending', 'verified', 'confirmed'])
      expect(s.events[1]!.data).toMatchObject({ status: 'verified', calls: 1 })
      expect(t.app.watch.size).toBe(0)
    })

    it('events — the owning tenant\'s API key may listen too; errors before the stream are contract JSON', async () => {
      const base = await start()
      const v = await create(t)
      const byKey = await open(`${base}/v1/verifications/${v.id}/events`, bearer(API_KEY))
      expect(byKey.status).toBe(200)
      byKey.abort()
      for (const [url, headers, status, code] of [
        [`/v1/verifications/${v.id}/events`, {}, 401, 'UNAUTHORIZED'],
        [`/v1/verifications/${v.id}/events?token=wrong`, {}, 401, 'UNAUTHORIZED'],
        [`/v1/verifications/${v.id}/events`, bearer(OTHER_API_KEY), 404, 'NOT_FOUND'],
        ['/v1/verifications/vf_unknown/events?token=x', {}, 404, 'NOT_FOUND'],
      ] as const) {
        const res = await fetch(`${base}${url}`, { headers })
        expect(res.status, url).toBe(status)
        expect(res.headers.get('content-type')).toMatch(/^application\/json/)
        expect((await res.json()).error).toMatchObject({ code, messageJa: expect.any(String) })
      }
    })

    it('events — a comment line every SSE_HEARTBEAT_MS keeps proxies from closing the stream', async () => {
      const base = await start({ SSE_HEARTBEAT_MS: '50' })
      const v = await create(t)
      const s = await open(`${base}/v1/verifications/${v.id}/events`, bearer(v.pollToken))
      await waitUntil(() => s.comments.length >= 3, 2000, 'three heartbeats')
      expect(s.comments[0]).toBe(': ping')
      expect(s.events).toHaveLength(1)
      s.abort()
    })

    it('events — wakes at the window end, so expired arrives even without the expiry sweep', async () => {
      // The sweep's longest period: after its first run at start, none comes during this case.
      t = await buildTestApp(kind, { env: { WINDOW_SECONDS: '1', EXPIRY_SWEEP_MS: '60000' } })
      const base = await t.app.listen({ port: 0, host: '127.0.0.1' })
      const v = await create(t)
      const s = await open(`${base}/v1/verifications/${v.id}/events?token=${v.pollToken}`)
      await waitUntil(() => s.events.length === 1)
      if (kind === 'memory') t.clock.advance(1000)
      await waitUntil(() => s.ended, 3000, 'stream end')
      expect(statuses(s)).toEqual(['pending', 'expired'])
    })

    it('events — a terminal verification sends one event and ends; its EventSource reconnect gets 204', async () => {
      const base = await start()
      const v = await create(t)
      await t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/cancel`, headers: bearer(v.pollToken) })
      const s = await open(`${base}/v1/verifications/${v.id}/events?token=${v.pollToken}`)
      await waitUntil(() => s.ended)
      expect(s.events.map((e) => [e.id, e.data.status, e.data.cancelReason])).toEqual([['cancelled', 'cancelled', 'customer']])
      const again = await fetch(`${base}/v1/verifications/${v.id}/events?token=${v.pollToken}`, { headers: { 'last-event-id': 'cancelled' } })
      expect(again.status).toBe(204)
    })

    it('events — a client that goes away leaves no listener behind; close() ends open streams', async () => {
      const base = await start()
      const v = await create(t)
      const gone = await open(`${base}/v1/verifications/${v.id}/events?token=${v.pollToken}`)
      await waitUntil(() => gone.events.length === 1)
      expect(t.app.watch.size).toBe(1)
      gone.abort()
      await waitUntil(() => t.app.watch.size === 0, 2000, 'listener removed')
      const held = await open(`${base}/v1/verifications/${v.id}/events?token=${v.pollToken}`)
      await waitUntil(() => held.events.length === 1)
      const started = Date.now()
      await t.app.close()
      expect(Date.now() - started).toBeLessThan(3000)
      await waitUntil(() => held.ended, 2000, 'stream ended by close')
    })
  })
}

describe('SSE across instances', () => {
  const instances = deployment()
  afterEach(() => instances.close())

  it('events — a stream on instance A receives changes made through instance B', async () => {
    const a = await instances.instance()
    const b = await instances.instance()
    const base = await a.app.listen({ port: 0, host: '127.0.0.1' })
    const v = await create(b)
    const s = await open(`${base}/v1/verifications/${v.id}/events?token=${v.pollToken}`)
    await waitUntil(() => s.events.length === 1)
    await call(b, v)
    await waitUntil(() => s.events.length === 2, 3000, 'verified from B')
    await b.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/confirm`, headers: bearer(API_KEY) })
    await waitUntil(() => s.ended, 3000, 'stream end')
    expect(statuses(s)).toEqual(['pending', 'verified', 'confirmed'])
  })
})
