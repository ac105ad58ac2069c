// The values `npm start` runs with when nothing is set; production refuses each by name
// (src/config/production.ts).

/** The tenant the dev demo opens its verifications as: never a bank's tenant or key. */
export const DEMO_TENANT = 'demo'

/** Keys and tokens shorter than this are guessable offline from one captured callback signature. */
export const MIN_SECRET_LENGTH = 32

export const DEV_DEFAULTS = {
  API_KEYS: 'demo:dev-api-key',
  ADMIN_TOKENS: 'dev-admin-token',
  TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'dev-auth-token',
  POOL_NUMBERS: '+81120000001,+81120000002,+81120000003',
  // A fixed dev key, so a dev Redis stays readable across restarts; production refuses it.
  PHONE_HASH_KEY: '63616c6c766572696679206465762070686f6e652068617368206b6579203031',
  SIGNALWIRE_SIGNING_KEY: 'dev-signalwire-signing-key',
  // The public half of src/carriers/telnyx/sign.ts' dev key, which the simulator signs with.
  TELNYX_PUBLIC_KEY: 'TF79o22WoJbysd1mN01ZXQjBHSa3aF+TTPT1cZIFtTI=',
  PLIVO_AUTH_ID: `MA${'0'.repeat(18)}`,
  PLIVO_AUTH_TOKEN: 'dev-plivo-auth-token',
  BANDWIDTH_CALLBACK_USERNAME: 'callverify',
  BANDWIDTH_CALLBACK_PASSWORD: 'dev-bandwidth-password',
  SIP_SHARED_SECRET: 'dev-sip-shared-secret',
} as const
