import { Type, type Static } from 'typebox'

// The demo backend's own small API (src/http/demo/routes.ts). Answers from /v1 pass through
// as they are, so only request schemas live here.

export const PhoneNumberBody = Type.Object(
  // Checked for real by the domain (R14); the bound only keeps junk out.
  { phoneNumber: Type.String({ minLength: 1, maxLength: 32 }) },
  { additionalProperties: false },
)
export type PhoneNumberBody = Static<typeof PhoneNumberBody>

export const VerificationParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) })
export type VerificationParams = Static<typeof VerificationParams>

export const SimulateCallBody = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128 }),
    withheld: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type SimulateCallBody = Static<typeof SimulateCallBody>

export const AssetParams = Type.Object({ '*': Type.String({ maxLength: 64 }) })
export type AssetParams = Static<typeof AssetParams>

export const MaskedNumber = Type.Object({ masked: Type.String() })
