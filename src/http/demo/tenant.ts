import type { ApiKey } from '../../config.js'
import { randomToken } from '../auth.js'

// The demo's backend speaks /v1 as a tenant of its own, `demo` (issue 14): never another
// tenant's key, so nothing the demo does can touch a bank's verifications, locks or callbacks.

export const DEMO_TENANT = 'demo'

/** The key of the `demo` tenant in API_KEYS; without one, a random key made up for this process. */
export function demoApiKey(keys: ApiKey[]): { key: string; added?: ApiKey } {
  const configured = keys.find((k) => k.tenant === DEMO_TENANT)
  if (configured) return { key: configured.key }
  const added = { tenant: DEMO_TENANT, key: randomToken(32) }
  return { key: added.key, added }
}
