import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_KEY, bearer, buildTestApp, type TestApp } from '../support/app.js'
import { keys, sipp, sipToolsPresent, SIP_SHARED_SECRET, startTestEdge, STRANGER_IP, systemSpanInSippMs, type TestEdge } from './support.js'

// The SIP edge on real processes (docs/contract.md "The SIP edge"): Kamailio on sip/kamailio.cfg,
// started as `npm run sip-edge` starts it, reporting to the real service on a real listener;
// sipp plays the carrier's trunk from 127.0.0.1 (trusted) and 127.0.0.2 (not).

const RING_MS = 1000
const POOL = '+81120000001'
const present = sipToolsPresent()

async function callCounts(service: TestApp): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const { labels, value } of (await service.app.metrics.calls.get()).values) {
    if (labels.carrier === 'sip') counts[String(labels.kind)] = value
  }
  return counts
}

describe.skipIf(!present)('SIP edge — a trunk call through Kamailio to the service', () => {
  let service: TestApp
  let edge: TestEdge

  beforeAll(async () => {
    service = await buildTestApp('memory', {
      env: { SIP_SHARED_SECRET, POOL_NUMBERS: `${POOL}@sip,+81120000002@sip`, RING_DELAY_MS: String(RING_MS) },
    })
    const url = await service.app.listen({ port: 0, host: '127.0.0.1' })
    edge = await startTestEdge({ callverifyUrl: url, ringDelayMs: RING_MS })
  })
  afterAll(async () => {
    await edge?.stop()
    await service?.close()
  })

  async function pending(phoneNumber: string): Promise<{ id: string; number: string }> {
    const created = await service.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber } })
    expect(created.statusCode).toBe(201)
    return { id: created.json().id, number: created.json().verificationNumber.e164 }
  }

  async function read(id: string): Promise<{ status: string; calls: number }> {
    return (await service.app.inject({ url: `/v1/verifications/${id}`, headers: bearer(API_KEY) })).json()
  }

  const domestic = (e164: string) => `0${e164.slice(3)}`

  it('matched call — 180, then 486 after the ring; the verification is verified (UDP, From)', async () => {
    const v = await pending('09012345678')
    const run = await sipp('ring', { edge: edge.listen, keys: keys('sip:+819012345678@trunk.example;user=phone', domestic(v.number)) })
    expect(run.code, run.output).toBe(0)
    expect(run.timers.ring![0]).toBeGreaterThanOrEqual(systemSpanInSippMs(run, RING_MS))
    expect(await read(v.id)).toMatchObject({ status: 'verified', calls: 1 })
  })

  it('matched call — the caller is P-Asserted-Identity (tel:, separators, verstat) over From (TCP)', async () => {
    const v = await pending('08011112222')
    const pai = 'P-Asserted-Identity: "Caller" <tel:+81-80-1111-2222;verstat=TN-Validation-Passed>'
    const run = await sipp('ring', { edge: edge.listen, transport: 'tcp', keys: keys('sip:0312345678@trunk.example', `${v.number};npdi`, pai) })
    expect(run.code, run.output).toBe(0)
    expect(run.timers.ring![0]).toBeGreaterThanOrEqual(systemSpanInSippMs(run, RING_MS))
    expect(await read(v.id)).toMatchObject({ status: 'verified', calls: 1 })
  })

  it('unmatched call — the same 180 and 486 after the same ring', async () => {
    const before = (await callCounts(service)).unmatched ?? 0
    const run = await sipp('ring', { edge: edge.listen, keys: keys('sip:+819099998888@trunk.example;user=phone', domestic(POOL)) })
    expect(run.code, run.output).toBe(0)
    expect(run.timers.ring![0]).toBeGreaterThanOrEqual(systemSpanInSippMs(run, RING_MS))
    await expect.poll(async () => (await callCounts(service)).unmatched).toBe(before + 1)
  })

  it('a call after the window (R3) — the same 486 after the same ring, nothing verified', async () => {
    const v = await pending('09077778888')
    // The service's store clock (memory store); later cases open their windows at the moved time.
    service.clock.advance(121_000)
    const run = await sipp('ring', { edge: edge.listen, keys: keys('sip:+819077778888@trunk.example;user=phone', domestic(v.number)) })
    expect(run.code, run.output).toBe(0)
    expect(run.timers.ring![0]).toBeGreaterThanOrEqual(systemSpanInSippMs(run, RING_MS))
    await expect.poll(async () => (await callCounts(service)).expired).toBe(1)
    expect((await read(v.id)).status).toBe('expired')
  })

  it('retransmitted INVITE — answered from the transaction, one 486, the call counted once', async () => {
    const v = await pending('09055556666')
    const run = await sipp('retransmit', { edge: edge.listen, extra: ['-nr'], keys: keys('sip:+819055556666@trunk.example;user=phone', domestic(v.number)) })
    expect(run.code, run.output).toBe(0)
    expect(await read(v.id)).toMatchObject({ status: 'verified', calls: 1 })
    expect((await callCounts(service)).duplicate ?? 0).toBe(0)
  })

  it('CANCEL during the ring — 200 for the CANCEL, 487 for the INVITE', async () => {
    const run = await sipp('cancel', { edge: edge.listen, keys: keys('sip:+819011112222@trunk.example;user=phone', domestic(POOL)) })
    expect(run.code, run.output).toBe(0)
  })

  const withheld: [string, string, string?][] = [
    ['From anonymous', 'sip:anonymous@anonymous.invalid'],
    ['From Anonymous (any case), a number asserted', 'sip:Anonymous@anonymous.invalid', 'P-Asserted-Identity: <sip:+819012345678@trunk.example;user=phone>'],
    ['Privacy: id', 'sip:+819012345678@trunk.example;user=phone', 'Privacy: id'],
    ['Privacy: header;id', 'sip:+819012345678@trunk.example;user=phone', 'Privacy: header;id'],
    ['Privacy: user', 'sip:+819012345678@trunk.example;user=phone', 'Privacy: user'],
    ['no number in From', 'sip:unknown@trunk.example'],
    ['no number in P-Asserted-Identity', 'sip:+819012345678@trunk.example;user=phone', 'P-Asserted-Identity: <sip:unavailable@trunk.example>'],
  ]
  it.each(withheld)('withheld caller (%s) — 433 at once, no ring, counted as withheld', async (_, caller, extra) => {
    const before = (await callCounts(service)).withheld ?? 0
    const run = await sipp('withheld', { edge: edge.listen, keys: keys(caller, domestic(POOL), extra) })
    expect(run.code, run.output).toBe(0)
    expect(run.timers.answer![0]).toBeLessThan(RING_MS)
    // The edge's 433 and the service's count come from one rule, written in both (R5).
    await expect.poll(async () => (await callCounts(service)).withheld).toBe(before + 1)
  })

  it('untrusted source — 403, and the service hears nothing', async () => {
    const before = await callCounts(service)
    const run = await sipp('forbidden', { edge: edge.listen, source: STRANGER_IP, keys: keys('sip:+819012345678@x;user=phone', domestic(POOL)) })
    expect(run.code, run.output).toBe(0)
    // A trusted call after it: once its report is in, one from the 403 would be too.
    await sipp('withheld', { edge: edge.listen, keys: keys('sip:anonymous@anonymous.invalid', domestic(POOL)) })
    await expect.poll(async () => (await callCounts(service)).withheld).toBe((before.withheld ?? 0) + 1)
    expect(await callCounts(service)).toEqual({ ...before, withheld: (before.withheld ?? 0) + 1 })
  })

  it('OPTIONS — 200 (trunk keep-alive), from the trunk and from anyone', async () => {
    expect((await sipp('options', { edge: edge.listen })).code).toBe(0)
    expect((await sipp('options', { edge: edge.listen, source: STRANGER_IP, transport: 'tcp' })).code).toBe(0)
  })

  it('malformed INVITEs (no Call-ID, huge headers, garbage) — an error or silence, never a crash', async () => {
    const { host, port } = edge.listen
    const invite = (headers: string[]) => [
      `INVITE sip:0120000001@${host}:${port} SIP/2.0`, 'Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-bad', 'Max-Forwards: 70',
      'From: <sip:+819012345678@trunk.example>;tag=1', `To: <sip:0120000001@${host}>`, 'CSeq: 1 INVITE', ...headers, 'Content-Length: 0', '', '',
    ].join('\r\n')
    const datagrams = [
      invite([]), // no Call-ID
      invite(['Call-ID: huge-1', `X-Padding: ${'a'.repeat(60_000)}`]),
      invite(['Call-ID: bad-cseq', 'CSeq: x INVITE']),
      '\x00\x01\x02 garbage \xff\r\n\r\n',
      'INVITE\r\n\r\n',
    ]
    const socket = createSocket('udp4')
    await new Promise<void>((done) => socket.bind(0, '127.0.0.1', done))
    for (const d of datagrams) socket.send(Buffer.from(d, 'latin1'), port, host)
    // The barrier: an OPTIONS sent after them from the same socket; its 200 means the edge read them and lived.
    const options = [
      `OPTIONS sip:${host}:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${socket.address().port};rport;branch=z9hG4bK-barrier`, 'Max-Forwards: 70',
      'From: <sip:probe@127.0.0.1>;tag=2', `To: <sip:${host}>`, 'Call-ID: barrier-after-garbage', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
    ].join('\r\n')
    const answer = new Promise<string>((resolve) => socket.on('message', (m) => {
      const text = m.toString('latin1')
      if (text.includes('barrier-after-garbage')) resolve(text.slice(0, text.indexOf('\r\n')))
    }))
    socket.send(Buffer.from(options, 'latin1'), port, host)
    expect(await Promise.race([answer, new Promise<string>((r) => setTimeout(r, 5000, 'no answer within 5 s').unref())])).toBe('SIP/2.0 200 OK')
    socket.close()
    // Over TCP: a header block larger than any buffer, and a lying Content-Length.
    for (const payload of [invite(['Call-ID: huge-tcp', `X-Padding: ${'b'.repeat(200_000)}`]), invite(['Call-ID: cl']).replace('Content-Length: 0', 'Content-Length: 99999'), 'garbage\r\n\r\n']) {
      await new Promise<void>((done) => {
        const tcp = connect(port, host, () => tcp.end(payload)).on('error', () => done()).on('close', () => done())
        tcp.setTimeout(1000, () => tcp.destroy())
      })
    }
    expect(() => process.kill(edge.pid, 0)).not.toThrow()
    expect((await sipp('options', { edge: edge.listen })).code).toBe(0)
    const run = await sipp('ring', { edge: edge.listen, keys: keys('sip:+819012345678@trunk.example;user=phone', domestic(POOL)) })
    expect(run.code, run.output).toBe(0)
  })

  it('200 INVITEs held at once — each 180 then 486 after the ring; edge and service alive after', async () => {
    const run = await sipp('ring', { edge: edge.listen, calls: 200, rate: 1000, keys: keys('sip:+819012340000@trunk.example;user=phone', domestic(POOL)) })
    expect(run.code, run.output).toBe(0)
    expect(run.timers.ring).toHaveLength(200)
    expect(Math.min(...run.timers.ring!)).toBeGreaterThanOrEqual(systemSpanInSippMs(run, RING_MS))
    expect((await service.app.inject({ url: '/healthz' })).statusCode).toBe(200)
    expect((await sipp('options', { edge: edge.listen })).code).toBe(0)
  })
})
