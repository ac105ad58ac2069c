import { DEV_DEFAULTS, MIN_SECRET_LENGTH } from './defaults.js'
import { list, type Env } from './env.js'
import type { Config } from './types.js'

/** NODE_ENV=production refuses to start while a credential is missing or still a dev default. */
export function productionProblems(env: Env, config: Config): string[] {
  const problems: string[] = []
  for (const name of ['API_KEYS', 'ADMIN_TOKENS', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'] as const) {
    const value = env[name]
    if (!value) problems.push(`${name} is required in production`)
    else if (value === DEV_DEFAULTS[name] || (name === 'API_KEYS' && list(value).some((p) => p.endsWith(':dev-api-key'))) || (name === 'ADMIN_TOKENS' && list(value).some((t) => t.endsWith('dev-admin-token')))) {
      problems.push(`${name} is still the dev default`)
    }
  }
  if (!env.PUBLIC_BASE_URL) problems.push('PUBLIC_BASE_URL is required in production (the carrier signs requests to it)')
  // Over http a captured signed webhook is there for anyone on the path to replay.
  else if (!config.publicBaseUrl.startsWith('https://')) problems.push(`PUBLIC_BASE_URL must be https in production (got "${config.publicBaseUrl}"): webhooks and their signatures would travel in clear`)
  problems.push(...secretProblems(config))
  if (!env.POOL_NUMBERS) problems.push('POOL_NUMBERS is required in production: the dev numbers are not yours, and customers would dial them (then be locked, B84)')
  if (config.store === 'memory') problems.push('STORE=memory is refused in production: one process, nothing survives a restart, no limit holds across instances; set REDIS_URL or REDIS_SENTINELS')
  // The demo opens verifications for any number without a credential: an open, CSRF-able proxy.
  if (env.DEMO === '1') problems.push('DEMO=1 is refused in production: /demo opens verifications for any number without a credential (dev only)')
  if (!env.PHONE_HASH_KEY) problems.push('PHONE_HASH_KEY is required in production (32 random bytes, hex or base64: openssl rand -hex 32)')
  else if (env.PHONE_HASH_KEY.trim().toLowerCase() === DEV_DEFAULTS.PHONE_HASH_KEY) problems.push('PHONE_HASH_KEY is still the dev default')
  const sip = env.SIP_SHARED_SECRET
  if (sip && (sip === DEV_DEFAULTS.SIP_SHARED_SECRET || sip.length < 32)) problems.push('SIP_SHARED_SECRET must be at least 32 random characters in production, not the dev default')
  return problems
}

/**
 * Production secrets: long enough not to be guessed offline (an API key keys the callback HMAC,
 * so one captured callback is a test for every guess), and one secret never serves two holders
 * (SecretSet would pick the first: a bank would act as another). Named, never printed.
 */
function secretProblems(config: Config): string[] {
  const problems: string[] = []
  const holders = [
    ...config.apiKeys.map((k) => ({ variable: 'API_KEYS', who: `the key of tenant "${k.tenant}"`, secret: k.key })),
    ...config.adminTokens.map((t) => ({ variable: 'ADMIN_TOKENS', who: `the token "${t.name}"`, secret: t.token })),
    ...(config.metricsToken ? [{ variable: 'METRICS_TOKEN', who: 'the token', secret: config.metricsToken }] : []),
  ]
  const seen = new Map<string, (typeof holders)[number]>()
  for (const holder of holders) {
    if (holder.secret.length < MIN_SECRET_LENGTH) {
      problems.push(`${holder.variable}: ${holder.who} is shorter than ${MIN_SECRET_LENGTH} characters (${holder.secret.length}); production needs at least ${MIN_SECRET_LENGTH} random ones (openssl rand -base64 32)`)
    }
    const first = seen.get(holder.secret)
    if (first) problems.push(`${holder.variable}: ${holder.who} is the same secret as ${first.who} (${first.variable}); each holder needs its own`)
    else seen.set(holder.secret, holder)
  }
  return problems
}

/** Settings that work but weaken something; main.ts logs each at start (README "Security"). */
export function configWarnings(env: Env): string[] {
  return env.TRUST_PROXY === 'true'
    ? ['TRUST_PROXY=true trusts the leftmost X-Forwarded-For, which any client can write: the per-address limits can be bypassed. Set the number of proxies in front (TRUST_PROXY=1) or their addresses']
    : []
}
