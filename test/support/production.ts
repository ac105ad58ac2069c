import { ConfigError, loadConfig } from '../../src/config.js'
import { redisUrl } from './redis.js'

// An environment NODE_ENV=production accepts (README "Security"): every credential set and long,
// https, the Redis store, the operator's own pool numbers. Tests change one thing at a time.
export const PRODUCTION_API_KEY = 'bank-prod-api-key-0123456789abcdef'
export const PRODUCTION_ADMIN_TOKEN = 'ops-prod-admin-token-0123456789abcd'

export const PRODUCTION_ENV: Record<string, string> = {
  NODE_ENV: 'production',
  API_KEYS: `bank:${PRODUCTION_API_KEY}`,
  ADMIN_TOKENS: `ops:${PRODUCTION_ADMIN_TOKEN}`,
  TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'prod-auth-token-0123456789abcdef',
  PUBLIC_BASE_URL: 'https://callverify.example',
  POOL_NUMBERS: '+81120000001,+81120000002,+81120000003',
  REDIS_URL: redisUrl(),
  PHONE_HASH_KEY: 'ab'.repeat(32),
}

/** What loadConfig refuses in `env`, one line a problem ([] when it starts). */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
    return []
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
}
