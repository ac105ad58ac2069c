import { ATTESTATION_REQUIREMENTS, type AttestationRequirement } from '../domain/carrier.js'
import { parsePhoneHashKey, type PhoneHashKeys } from '../domain/phonehash.js'
import { DEV_DEFAULTS } from './defaults.js'
import { list, type Env } from './env.js'
import type { AdminToken, ApiKey } from './types.js'

// Who may call the service, and the keys it keeps customer numbers under.

export function parseApiKeys(raw: string, problems: string[]): ApiKey[] {
  const keys = list(raw).map((pair) => {
    const at = pair.indexOf(':')
    return { tenant: pair.slice(0, at), key: pair.slice(at + 1) }
  })
  if (keys.length === 0 || keys.some((k) => !/^[A-Za-z0-9_.-]{1,64}$/.test(k.tenant) || k.key.length < 8)) {
    problems.push('API_KEYS must be tenant:key pairs, comma separated (tenant [A-Za-z0-9_.-], key ≥ 8 characters)')
  }
  return keys
}

export function parseAdminTokens(raw: string): AdminToken[] {
  // "name:token" names the holder for the audit log; a bare token is named by its position.
  return list(raw).map((entry, index) => {
    const at = entry.indexOf(':')
    return at > 0 ? { name: entry.slice(0, at), token: entry.slice(at + 1) } : { name: `admin-${index + 1}`, token: entry }
  })
}

/** TENANT_POLICY: `tenant:attestation=not-failed`, comma separated (domain ATTESTATION_REQUIREMENTS). */
export function parseTenantPolicy(raw: string, problems: string[]): Map<string, AttestationRequirement> {
  const policies = new Map<string, AttestationRequirement>()
  for (const entry of list(raw)) {
    const match = /^([A-Za-z0-9_.-]{1,64}):attestation=([a-z-]+)$/.exec(entry)
    const requirement = match?.[2] as AttestationRequirement | undefined
    if (!match || !requirement || !ATTESTATION_REQUIREMENTS.includes(requirement)) {
      problems.push(`TENANT_POLICY: "${entry}" is not tenant:attestation=${ATTESTATION_REQUIREMENTS.join('|')}`)
    } else policies.set(match[1]!, requirement)
  }
  return policies
}

/** The keys customer numbers are kept under (domain/phonehash.ts); a rotation names the old one PHONE_HASH_PREVIOUS_KEY. */
export function phoneHashKeys(env: Env, problems: string[]): PhoneHashKeys {
  const key = (name: 'PHONE_HASH_KEY' | 'PHONE_HASH_PREVIOUS_KEY', raw: string): Buffer | undefined => {
    const parsed = parsePhoneHashKey(raw)
    if (!parsed) problems.push(`${name} must be at least 32 bytes, hex or base64 (openssl rand -hex 32)`)
    return parsed
  }
  const current = key('PHONE_HASH_KEY', env.PHONE_HASH_KEY || DEV_DEFAULTS.PHONE_HASH_KEY) ?? Buffer.from(DEV_DEFAULTS.PHONE_HASH_KEY, 'hex')
  const previous = env.PHONE_HASH_PREVIOUS_KEY ? key('PHONE_HASH_PREVIOUS_KEY', env.PHONE_HASH_PREVIOUS_KEY) : undefined
  if (previous?.equals(current)) problems.push('PHONE_HASH_PREVIOUS_KEY is the same key as PHONE_HASH_KEY: a rotation sets a new PHONE_HASH_KEY')
  return previous ? { current, previous } : { current }
}

/** TELNYX_PUBLIC_KEY's shape: the canonical base64 of a raw 32-byte Ed25519 key (carriers/telnyx/signature.ts makes the key). */
export function isEd25519PublicKey(base64: string): boolean {
  const raw = Buffer.from(base64, 'base64')
  return raw.length === 32 && raw.toString('base64') === base64
}
