import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEdgeSettings } from '../../scripts/sip-edge/settings.js'
import { bindable, freeSipAddress } from '../../scripts/sip-edge/sipp.js'
import { API_KEY, bearer, buildTestApp, type TestApp } from '../support/app.js'
import { keys, sipp, sipToolsPresent, SIP_SHARED_SECRET, systemSpanInSippMs } from './support.js'

// `npm run sip-edge` (scripts/sip-edge.ts): the environment checked before Kamailio starts, one
// line once it answers, a pending verification verified by a sipp call through it, and a clear
// install line when Kamailio is missing.

const SCRIPT = 'scripts/sip-edge.ts'

function launch(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const out = { stdout: '', stderr: '' }
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()))
  return { child, out }
}

describe('sip-edge settings — the environment, checked before Kamailio sees it', () => {
  it('dev defaults — 127.0.0.1:5060, the loopback trunk, the dev secret, a 6 s ring', () => {
    expect(parseEdgeSettings({})).toEqual({
      listen: { host: '127.0.0.1', port: 5060 }, trustedPeers: ['127.0.0.1/32'], callverifyUrl: 'http://127.0.0.1:3000',
      sharedSecret: 'dev-sip-shared-secret', ringDelayMs: 6000, workers: 4,
    })
  })

  it('CIDRs and bare addresses, IPv6 listen, a trailing slash on the URL', () => {
    const settings = parseEdgeSettings({
      SIP_LISTEN: '[::1]:5080', SIP_TRUSTED_PEERS: '203.0.113.0/28, 198.51.100.7,2001:db8::/32', CALLVERIFY_URL: 'https://cv.example/', RING_DELAY_MS: '4000',
    })
    expect(settings).toMatchObject({
      listen: { host: '::1', port: 5080 }, trustedPeers: ['203.0.113.0/28', '198.51.100.7/32', '2001:db8::/32'], callverifyUrl: 'https://cv.example', ringDelayMs: 4000,
    })
  })

  it('every problem named at once', () => {
    const env = { SIP_LISTEN: 'localhost', SIP_TRUSTED_PEERS: '10.0.0.0/33,nope', CALLVERIFY_URL: 'ftp://x', RING_DELAY_MS: '10001', SIP_SHARED_SECRET: 'has space' }
    const message = (() => {
      try {
        parseEdgeSettings(env)
        return ''
      } catch (error) {
        return (error as Error).message
      }
    })()
    for (const part of ['SIP_LISTEN', '"10.0.0.0/33"', '"nope"', 'CALLVERIFY_URL', 'RING_DELAY_MS', 'SIP_SHARED_SECRET']) expect(message).toContain(part)
  })

  it('production — the trunk addresses and a real secret are required', () => {
    expect(() => parseEdgeSettings({ NODE_ENV: 'production' })).toThrow(/SIP_TRUSTED_PEERS is required[\s\S]*SIP_SHARED_SECRET/)
    expect(() => parseEdgeSettings({ NODE_ENV: 'production', SIP_TRUSTED_PEERS: '203.0.113.0/28', SIP_SHARED_SECRET: 'dev-sip-shared-secret' })).toThrow(/SIP_SHARED_SECRET/)
    expect(parseEdgeSettings({ NODE_ENV: 'production', SIP_TRUSTED_PEERS: '203.0.113.0/28', SIP_SHARED_SECRET: 'x'.repeat(32) }).trustedPeers).toEqual(['203.0.113.0/28'])
  })

  it('production — plain HTTP to the service only inside a private network (the report carries the caller)', () => {
    const env = { NODE_ENV: 'production', SIP_TRUSTED_PEERS: '203.0.113.0/28', SIP_SHARED_SECRET: 'x'.repeat(32) }
    for (const url of ['http://callverify:3000', 'http://10.1.2.3:3000', 'http://127.0.0.1:3000', 'https://cv.example.jp']) {
      expect(parseEdgeSettings({ ...env, CALLVERIFY_URL: url }).callverifyUrl).toBe(url)
    }
    expect(() => parseEdgeSettings({ ...env, CALLVERIFY_URL: 'http://cv.example.jp' })).toThrow(/CALLVERIFY_URL must be https/)
  })
})

describe('npm run sip-edge — Kamailio missing', () => {
  it('says how to install it and exits 2', async () => {
    const { child, out } = launch({ KAMAILIO: '/nonexistent/kamailio' })
    const [code] = await once(child, 'exit')
    expect(code).toBe(2)
    expect(out.stderr).toContain('apt-get install -y kamailio kamailio-utils-modules kamailio-tls-modules')
  })
})

describe.skipIf(!sipToolsPresent())('npm run sip-edge — a pending verification verified by a sipp call through it', () => {
  let service: TestApp
  let url: string
  beforeAll(async () => {
    service = await buildTestApp('memory', { env: { SIP_SHARED_SECRET, POOL_NUMBERS: '+81120000001@sip' } })
    url = await service.app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(async () => service?.close())

  it('one line once it listens; 180, 486 after the ring, verified; SIGTERM stops it', async () => {
    const listen = await freeSipAddress()
    const { child, out } = launch({
      SIP_LISTEN: `${listen.host}:${listen.port}`, CALLVERIFY_URL: url, SIP_SHARED_SECRET, RING_DELAY_MS: '500', SIP_WORKERS: '2',
    })
    try {
      await expect.poll(() => out.stdout, { timeout: 15_000 }).toContain('listening')
      expect(out.stdout.trim().split('\n')).toEqual([
        `sip-edge: listening on udp:${listen.host}:${listen.port} and tcp:${listen.host}:${listen.port} for 127.0.0.1/32; ring 500 ms, then 486; reporting to ${url}/webhooks/sip/invite`,
      ])
      const created = await service.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09012345678' } })
      const run = await sipp('ring', { edge: listen, keys: keys('sip:09012345678@trunk.example', '0120000001') })
      expect(run.code, run.output).toBe(0)
      expect(run.timers.ring![0]).toBeGreaterThanOrEqual(systemSpanInSippMs(run, 500))
      const read = await service.app.inject({ url: `/v1/verifications/${created.json().id}`, headers: bearer(API_KEY) })
      expect(read.json()).toMatchObject({ status: 'verified', calls: 1 })
    } finally {
      child.kill('SIGTERM')
    }
    const [code] = await once(child, 'exit')
    expect(code).toBe(0)
    // Its Kamailio went with it: nothing holds the port any more.
    expect(await bindable(listen.host, listen.port)).toBe(true)
  })
})
