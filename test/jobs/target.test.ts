import { createSocket } from 'node:dgram'
import { Resolver } from 'node:dns/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ConfigError, loadConfig, retrySpanMs } from '../../src/config.js'
import type { Verification } from '../../src/domain/verification.js'
import { asOf, signatureHeader } from '../../src/jobs/callbacks.js'
import { isPrivateAddress, postPinned, RefusedTarget, vetTarget } from '../../src/jobs/target.js'
import { PRODUCTION_ENV } from '../support/production.js'
import { verifySignature } from './support/receiver.js'

// The SSRF guard, the signature and the callback settings, without a running app.

describe('isPrivateAddress — refuses every non-public address family', () => {
  it.each([
    '127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '100.127.255.254',
    '169.254.169.254', '0.0.0.0', '224.0.0.1', '239.255.255.250', '255.255.255.255', '198.18.0.1', '192.0.2.10',
    '::', '::1', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe',
    '64:ff9b::7f00:1', '64:ff9b::a00:1', '2002:c0a8:0101::1', '::7f00:1', '2001:db8::1', 'not-an-ip',
  ])('%s is private', (address) => expect(isPrivateAddress(address)).toBe(true))

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('%s is public', (address) => {
    expect(isPrivateAddress(address)).toBe(false)
  })
})

describe('vetTarget — judged on the resolved address', () => {
  const prod = { production: true, allowPrivate: false }
  it('refuses http in production and non-http schemes anywhere', async () => {
    await expect(vetTarget('http://example.com/hook', prod)).rejects.toThrow(RefusedTarget)
    await expect(vetTarget('ftp://example.com/hook', { production: false, allowPrivate: true })).rejects.toThrow(RefusedTarget)
  })
  it('refuses a name that resolves to loopback, and literal private addresses, unless private targets are allowed', async () => {
    await expect(vetTarget('https://localhost/hook', prod)).rejects.toThrow(/private or reserved/)
    await expect(vetTarget('https://[::ffff:169.254.169.254]/latest', prod)).rejects.toThrow(RefusedTarget)
    await expect(vetTarget('https://10.0.0.5/hook', prod)).rejects.toThrow(RefusedTarget)
    await expect(vetTarget('http://localhost:8080/hook', { production: false, allowPrivate: true })).resolves.toMatchObject({ address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) })
  })
})

describe('vetTarget — DNS resolution is part of the delivery timeout', () => {
  it('vetTarget — a name server that never answers ends the attempt at the deadline, not at the resolver\'s own timeout', async () => {
    // A real DNS exchange over UDP with a server that swallows every query.
    const queries: Buffer[] = []
    const silent = createSocket('udp4').on('message', (query) => void queries.push(query))
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve))
    onTestFinished(() => void silent.close())
    const resolver = new Resolver({ timeout: 20_000, tries: 1 })
    resolver.setServers([`127.0.0.1:${(silent.address() as AddressInfo).port}`])
    const resolve = async (host: string) => (await resolver.resolve4(host)).map((address) => ({ address, family: 4 }))
    const started = Date.now()
    await expect(vetTarget('https://bank.example/hook', { production: true, allowPrivate: false, resolve }, AbortSignal.timeout(300)))
      .rejects.toThrow('bank.example did not resolve within the delivery timeout')
    expect(Date.now() - started).toBeLessThan(2000)
    expect(queries.length).toBeGreaterThan(0)
    resolver.cancel()
  })
})

describe('postPinned — connects to the vetted address, not to a fresh DNS answer', () => {
  it('reaches the pinned address although the name itself does not resolve (no second lookup to rebind)', async () => {
    const hosts: string[] = []
    const server = createServer((req, res) => {
      hosts.push(String(req.headers.host))
      res.writeHead(204).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    try {
      const target = { url: new URL(`http://rebind.invalid:${port}/hook`), address: '127.0.0.1', family: 4 as const }
      expect(await postPinned(target, '{}', { 'content-type': 'application/json' }, AbortSignal.timeout(2000))).toEqual({ status: 204 })
      expect(hosts).toEqual([`rebind.invalid:${port}`])
    } finally {
      server.close()
    }
  })
})

describe('signatureHeader', () => {
  it('signs "t.body" with each of the tenant\'s keys; a receiver verifies any one and refuses stale t', () => {
    const body = '{"type":"verification.verified"}'
    const t = Math.floor(Date.now() / 1000)
    const header = signatureHeader(body, ['old-key-1234', 'new-key-5678'], t)
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/)
    expect(verifySignature(header, body, 'new-key-5678')).toBe(true)
    expect(verifySignature(header, body, 'old-key-1234')).toBe(true)
    expect(verifySignature(header, `${body} `, 'new-key-5678')).toBe(false)
    expect(verifySignature(header, body, 'someone-else')).toBe(false)
    expect(verifySignature(signatureHeader(body, ['new-key-5678'], t - 600), body, 'new-key-5678')).toBe(false)
  })
})

describe('asOf — a callback describes its own event', () => {
  const v: Verification = {
    id: 'vf_x', tenant: 'demo', phoneMasked: '*******5678', phoneHash: 'h', verificationNumber: '+81120000001', status: 'confirmed',
    createdAt: 1000, expiresAt: 121_000, verifiedAt: 5000, confirmedAt: 6000, calls: 1, pollTokenHash: 'ab',
  }
  it('a verified event read after the confirm carries no confirmedAt', () => {
    const at = asOf(v, 'verified')
    expect(at.status).toBe('verified')
    expect(at.confirmedAt).toBeUndefined()
    expect(at.verifiedAt).toBe(5000)
    expect(asOf(v, 'confirmed')).toBe(v)
  })
})

describe('callback settings (config)', () => {
  const PROD = PRODUCTION_ENV
  it('private targets: allowed by default in dev, refused by default in production, and cannot be turned on there', () => {
    expect(loadConfig({}).callbacks).toEqual({ allowPrivate: true, timeoutMs: 5000, attempts: 15, backoffMs: 2000, backoffCapMs: 600_000, concurrency: 16, tenantConcurrency: 4 })
    expect(loadConfig(PROD).callbacks.allowPrivate).toBe(false)
    expect(() => loadConfig({ ...PROD, CALLBACK_ALLOW_PRIVATE: 'true' })).toThrow(/CALLBACK_ALLOW_PRIVATE cannot be true in production/)
    expect(() => loadConfig({ CALLBACK_ALLOW_PRIVATE: 'yes' })).toThrow(ConfigError)
  })
  it('the default schedule retries for over an hour; production refuses a shorter one', () => {
    expect(retrySpanMs(loadConfig({}).callbacks)).toBe(4_022_000)
    expect(() => loadConfig({ ...PROD, CALLBACK_ATTEMPTS: '5' })).toThrow(/at least an hour/)
  })
})
