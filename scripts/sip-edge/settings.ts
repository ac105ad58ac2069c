import { BlockList, isIP } from 'node:net'

// The SIP edge's environment (docs/contract.md "The SIP edge"), parsed and checked before Kamailio
// sees it: Kamailio would start with a bad CIDR and trust nobody, or with no secret and sign
// with an empty key.

export interface EdgeSettings {
  /** Where the edge listens, UDP and TCP (an IPv6 host without brackets). */
  listen: { host: string; port: number }
  /** CIDRs whose INVITEs are served; everyone else gets 403. */
  trustedPeers: string[]
  /** The service's base URL; the edge posts to `${callverifyUrl}/webhooks/sip/invite`. */
  callverifyUrl: string
  sharedSecret: string
  ringDelayMs: number
  /** SIP worker processes per transport (Kamailio `children`). */
  workers: number
}

/** Dev only: NODE_ENV=production refuses it, as the service refuses its dev credentials. */
export const DEV_SIP_SHARED_SECRET = 'dev-sip-shared-secret'
export const MAX_RING_DELAY_MS = 10_000

export const KAMAILIO_INSTALL_HINT =
  'Kamailio is not installed: apt-get install -y kamailio kamailio-utils-modules kamailio-tls-modules (Debian/Ubuntu), or set KAMAILIO to its path'

type Env = Record<string, string | undefined>

function parseListen(value: string): EdgeSettings['listen'] | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(value)
  if (!match) return undefined
  const host = match[1] ?? match[2]!
  const port = Number(match[3])
  return isIP(host) && port > 0 && port < 65536 ? { host, port } : undefined
}

/** A CIDR or a bare address (one host), in the form Kamailio's is_in_subnet reads. */
function parseCidr(value: string): string | undefined {
  const [address, bits, extra] = value.split('/')
  const family = isIP(address ?? '')
  if (!family || extra !== undefined) return undefined
  const max = family === 4 ? 32 : 128
  if (bits === undefined) return `${address}/${max}`
  const prefix = Number(bits)
  if (!/^\d{1,3}$/.test(bits) || prefix > max) return undefined
  // BlockList refuses what Node cannot represent either; the check costs nothing.
  new BlockList().addSubnet(address!, prefix, family === 4 ? 'ipv4' : 'ipv6')
  return `${address}/${prefix}`
}

/** Loopback, RFC 1918, or a bare name (a compose or cluster service): not across the internet. */
function isPrivateHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]' || !hostname.includes('.')) return true
  return /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(hostname)
}

/** The environment → settings, or an Error naming every problem. */
export function parseEdgeSettings(env: Env): EdgeSettings {
  const problems: string[] = []
  const production = env.NODE_ENV === 'production'

  const listenText = env.SIP_LISTEN || '127.0.0.1:5060'
  const listen = parseListen(listenText)
  if (!listen) problems.push(`SIP_LISTEN must be host:port (IPv6 as [::1]:5060), not ${JSON.stringify(listenText)}`)

  const peersText = env.SIP_TRUSTED_PEERS || (production ? '' : '127.0.0.1/32')
  const trustedPeers: string[] = []
  if (!peersText) problems.push("SIP_TRUSTED_PEERS is required in production: the trunk's addresses as CIDRs, comma separated")
  for (const entry of peersText.split(',').map((s) => s.trim()).filter(Boolean)) {
    const cidr = parseCidr(entry)
    if (cidr) trustedPeers.push(cidr)
    else problems.push(`SIP_TRUSTED_PEERS: ${JSON.stringify(entry)} is not an address or CIDR`)
  }

  const callverifyUrl = (env.CALLVERIFY_URL || `http://127.0.0.1:${env.PORT || 3000}`).replace(/\/+$/, '')
  if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(callverifyUrl)) problems.push('CALLVERIFY_URL must be an http(s) URL')
  else if (production && callverifyUrl.startsWith('http:') && !isPrivateHost(new URL(callverifyUrl).hostname)) {
    // The report carries the caller's number (R1): plain HTTP only inside a private network.
    problems.push('CALLVERIFY_URL must be https in production unless the service is on a private network (loopback, 10/8, 172.16/12, 192.168/16, a bare service name)')
  }

  const sharedSecret = env.SIP_SHARED_SECRET || (production ? '' : DEV_SIP_SHARED_SECRET)
  if (production && (sharedSecret.length < 32 || sharedSecret === DEV_SIP_SHARED_SECRET)) {
    problems.push('SIP_SHARED_SECRET must be set to at least 32 random characters in production (the same value the service has)')
  }
  if (/[\s"\\]/.test(sharedSecret)) problems.push('SIP_SHARED_SECRET must not contain spaces, quotes or backslashes')

  const ringDelayMs = Number(env.RING_DELAY_MS || 6000)
  if (!Number.isInteger(ringDelayMs) || ringDelayMs < 0 || ringDelayMs > MAX_RING_DELAY_MS) {
    problems.push(`RING_DELAY_MS must be an integer from 0 to ${MAX_RING_DELAY_MS}`)
  }

  const workers = Number(env.SIP_WORKERS || 4)
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) problems.push('SIP_WORKERS must be an integer from 1 to 64')

  if (problems.length > 0) throw new Error(`sip-edge: cannot start:\n  - ${problems.join('\n  - ')}`)
  return { listen: listen!, trustedPeers, callverifyUrl, sharedSecret, ringDelayMs, workers }
}

/** How Kamailio names a socket: udp:127.0.0.1:5060, udp:[::1]:5060. */
export function socketName(transport: 'udp' | 'tcp', listen: EdgeSettings['listen']): string {
  const host = isIP(listen.host) === 6 ? `[${listen.host}]` : listen.host
  return `${transport}:${host}:${listen.port}`
}
