// Carriers as the domain sees them: a name on each pool number, and what a carrier says about
// the caller ID it delivers (SHAKEN/STIR). Pure: no carrier SDK, no I/O.

/** Every carrier the service speaks to (docs/contract.md "The carriers"); `sip` is the SIP edge. */
export const CARRIERS = ['twilio', 'signalwire', 'telnyx', 'plivo', 'bandwidth', 'sip'] as const
export type Carrier = (typeof CARRIERS)[number]
export const DEFAULT_CARRIER: Carrier = 'twilio'

export function isCarrier(name: string): name is Carrier {
  return (CARRIERS as readonly string[]).includes(name)
}

/** A POOL_NUMBERS entry, `+81…` or `+81…@telnyx`; null carrier when the suffix names none. */
export function splitPoolEntry(entry: string): { number: string; carrier: Carrier | null } {
  const at = entry.lastIndexOf('@')
  if (at < 0) return { number: entry, carrier: DEFAULT_CARRIER }
  const name = entry.slice(at + 1).trim().toLowerCase()
  return { number: entry.slice(0, at).trim(), carrier: isCarrier(name) ? name : null }
}

export const ATTESTATION_RESULTS = ['passed', 'failed'] as const
export const ATTESTATION_LEVELS = ['A', 'B', 'C'] as const

/**
 * What the carrier's SHAKEN/STIR verification said about the caller ID. Absent means unknown
 * (no signature on the call, as with most Japanese calls today), never failed.
 */
export interface CallerAttestation {
  result: (typeof ATTESTATION_RESULTS)[number]
  /** A full, B partial, C gateway (ATIS-1000074); absent when the carrier did not say. */
  level?: (typeof ATTESTATION_LEVELS)[number]
}

function level(value: string | undefined): CallerAttestation['level'] | undefined {
  const v = value?.trim().toUpperCase()
  return ATTESTATION_LEVELS.find((l) => l === v)
}

/**
 * A verstat value (3GPP TS 24.229 `verstat` parameter, as Twilio's StirVerstat and SIP
 * P-Asserted-Identity carry it): TN-Validation-Passed[-A|B|C], TN-Validation-Failed[-…];
 * No-TN-Validation and anything else is unknown.
 */
export function attestationFromVerstat(verstat: string | undefined): CallerAttestation | undefined {
  const match = /^TN-Validation-(Passed|Failed)(?:-([ABC]))?$/i.exec(verstat?.trim() ?? '')
  if (!match) return undefined
  const lvl = level(match[2])
  return { result: match[1]!.toLowerCase() === 'passed' ? 'passed' : 'failed', ...(lvl ? { level: lvl } : {}) }
}

/** An attestation level with a separate validated flag (Telnyx ShakenStirAttestation/ShakenStirValidated). */
export function attestationFromLevel(attestation: string | undefined, validated: string | boolean | undefined): CallerAttestation | undefined {
  const v = typeof validated === 'boolean' ? validated : validated?.trim().toLowerCase()
  const result = v === true || v === 'true' ? 'passed' : v === false || v === 'false' ? 'failed' : undefined
  if (!result) return undefined
  const lvl = level(attestation)
  return { result, ...(lvl ? { level: lvl } : {}) }
}

/** Stored form: `passed`, `passed:A`, `failed:C`. */
export function encodeAttestation(a: CallerAttestation | undefined): string {
  return a ? (a.level ? `${a.result}:${a.level}` : a.result) : ''
}

export function decodeAttestation(raw: string | undefined | null): CallerAttestation | undefined {
  if (!raw) return undefined
  const [result, lvl] = raw.split(':')
  if (result !== 'passed' && result !== 'failed') return undefined
  const l = level(lvl)
  return { result, ...(l ? { level: l } : {}) }
}

/**
 * A tenant's caller-ID requirement (TENANT_POLICY): `any` (default) verifies whatever the
 * carrier said; `not-failed` refuses a call whose validation failed; `passed` verifies only a
 * call whose validation passed (unknown is then refused too, so it suits US numbers, not Japan's).
 */
export const ATTESTATION_REQUIREMENTS = ['any', 'not-failed', 'passed'] as const
export type AttestationRequirement = (typeof ATTESTATION_REQUIREMENTS)[number]

/** Caller-ID trust: may a call with this attestation verify for a tenant with this requirement? */
export function attestationSatisfies(requirement: AttestationRequirement, attestation: CallerAttestation | undefined): boolean {
  if (requirement === 'passed') return attestation?.result === 'passed'
  if (requirement === 'not-failed') return attestation?.result !== 'failed'
  return true
}

/** The tenants whose requirement this call's attestation does not meet (the store refuses to verify for them). */
export function tenantsRefusing(policies: ReadonlyMap<string, AttestationRequirement>, attestation: CallerAttestation | undefined): string[] {
  const refusing: string[] = []
  for (const [tenant, requirement] of policies) if (!attestationSatisfies(requirement, attestation)) refusing.push(tenant)
  return refusing
}

/** docs/contract.md "The carriers": a call verifies only through its number's own carrier, so one leaked carrier secret cannot verify another's numbers. */
export function isWrongCarrier(numberCarrier: string | undefined, callCarrier: string | undefined): boolean {
  return (numberCarrier || DEFAULT_CARRIER) !== (callCarrier || DEFAULT_CARRIER)
}
