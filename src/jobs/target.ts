import { lookup } from 'node:dns/promises'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { BlockList, isIP, type LookupFunction } from 'node:net'

// A callback URL is chosen by a tenant, so it must not reach inside our network (SSRF): the
// address is checked after DNS resolution, at delivery time, and the connection goes to that
// very address (pinned), so a second, different DNS answer (rebinding) is never used.

/** Not a public unicast address: IANA special-purpose registries, IPv4 and IPv6. */
const PRIVATE = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], // RFC 1918
  ['100.64.0.0', 10], // CGNAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], // protocol, docs, benchmarks
  ['224.0.0.0', 4], ['240.0.0.0', 4], // multicast, reserved and broadcast
] as const) PRIVATE.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [
  ['::', 96], // unspecified, loopback, IPv4-compatible
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], // ULA, link-local, old site-local
  ['ff00::', 8], // multicast
  ['100::', 64], ['2001::', 32], ['2001:db8::', 32], ['2001:10::', 28], ['64:ff9b:1::', 48], // discard, Teredo, docs, ORCHID, local NAT64
] as const) PRIVATE.addSubnet(net, bits, 'ipv6')
// (IPv4-mapped ::ffff:a.b.c.d is checked against the IPv4 rules by BlockList itself.)

/** The IPv4 address inside a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address, if any. */
function embeddedIPv4(address: string): string | undefined {
  const lower = address.toLowerCase()
  const hex = /^64:ff9b::([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower) ?? /^2002:([0-9a-f]{1,4}):([0-9a-f]{1,4}):/.exec(lower)
  if (!hex) return undefined
  const [high, low] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)]
  return [high >> 8, high & 255, low >> 8, low & 255].join('.')
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 0) return true
  if (family === 4) return PRIVATE.check(address, 'ipv4')
  const inner = embeddedIPv4(address)
  return PRIVATE.check(address, 'ipv6') || (inner !== undefined && PRIVATE.check(inner, 'ipv4'))
}

/** A host name → its addresses (dns.lookup with all: true). */
export type Resolve = (host: string) => Promise<{ address: string; family: number }[]>

const systemResolve: Resolve = (host) => lookup(host, { all: true, verbatim: true })

export interface TargetPolicy {
  /** production: https only. */
  production: boolean
  /** dev: loopback and private targets allowed (tests, demo). */
  allowPrivate: boolean
  resolve?: Resolve
}

/** Rejects when `deadline` aborts first (dns.lookup takes no signal: getaddrinfo runs on regardless). */
function before<T>(work: Promise<T>, deadline: AbortSignal | undefined, what: string): Promise<T> {
  if (!deadline) return work
  if (deadline.aborted) return Promise.reject(new Error(what))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error(what))
    deadline.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => deadline.removeEventListener('abort', onAbort))
  })
}

export interface VettedTarget {
  url: URL
  address: string
  family: 4 | 6
}

/** Thrown when a target may never be called: no retry can change that. */
export class RefusedTarget extends Error {
  override readonly name = 'RefusedTarget'
}

/** `deadline` bounds the DNS resolution: it is part of the delivery's time (CALLBACK_TIMEOUT_MS). */
export async function vetTarget(raw: string, policy: TargetPolicy, deadline?: AbortSignal): Promise<VettedTarget> {
  const url = new URL(raw)
  if (url.protocol !== 'https:' && (policy.production || url.protocol !== 'http:')) throw new RefusedTarget(`${url.protocol} callback URLs are refused${policy.production ? ' in production (https only)' : ''}`)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const found = isIP(host)
    ? [{ address: host, family: isIP(host) }]
    : await before((policy.resolve ?? systemResolve)(host), deadline, `${host} did not resolve within the delivery timeout`)
  if (found.length === 0) throw new Error(`${host} resolves to no address`)
  if (!policy.allowPrivate) {
    const bad = found.find((a) => isPrivateAddress(a.address))
    if (bad) throw new RefusedTarget(`${host} resolves to a private or reserved address (${bad.address})`)
  }
  const first = found[0]!
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 }
}

export interface PostResult {
  status: number
}

/** POSTs to the vetted address only; never follows a redirect; the whole exchange before `deadline` aborts. */
export function postPinned(target: VettedTarget, body: string, headers: Record<string, string>, deadline: AbortSignal): Promise<PostResult> {
  const { url, address, family } = target
  // Node ≥ 20 asks with {all: true} (happy eyeballs); older callers want one address.
  const pinned = ((_host: string, opts: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (opts.all) callback(null, [{ address, family }])
    else callback(null, address, family)
  }) as unknown as LookupFunction
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = send({
      method: 'POST',
      host: url.hostname.replace(/^\[|\]$/g, ''), // the name for TLS (SNI, certificate); the address comes from `pinned`
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: pinned,
      agent: false, // a fresh connection each time: no pooled socket from another resolution
      signal: deadline,
    }, (res: IncomingMessage) => {
      // The status is the answer; the receiver's body is drained, not read (the timeout still bounds it).
      resolve({ status: res.statusCode ?? 0 })
      res.on('error', () => {})
      res.resume()
    })
    req.on('error', (error: Error) => reject(error.name === 'AbortError' || error.name === 'TimeoutError' ? new Error('no answer within the delivery timeout') : error))
    req.end(body)
  })
}
