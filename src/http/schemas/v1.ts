import { Type, type Static } from 'typebox'
import type { VerificationView } from '../../domain/present.js'
import { ATTESTATION_LEVELS, ATTESTATION_RESULTS } from '../../domain/carrier.js'
import { CANCEL_REASONS, STATUSES } from '../../domain/verification.js'

export const CreateBody = Type.Object(
  {
    phoneNumber: Type.String({ minLength: 1, maxLength: 32, description: 'The registered number: 10–11 domestic digits (R14) or +81 E.164' }),
    reference: Type.Optional(Type.String({ maxLength: 64, description: "The bank's own reference, echoed back" })),
    callbackUrl: Type.Optional(Type.String({ format: 'uri', maxLength: 2048, description: 'https URL that receives signed events' })),
  },
  { additionalProperties: false },
)
export type CreateBody = Static<typeof CreateBody>

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })
export type IdParams = Static<typeof IdParams>

export const GetQuery = Type.Object({
  waitSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30, description: 'Long-poll: answer when the status changes or after this many seconds' })),
  token: Type.Optional(Type.String({ maxLength: 256, description: 'The poll token, for clients that cannot send headers' })),
})
export type GetQuery = Static<typeof GetQuery>

const Iso = Type.String({ format: 'date-time' })

export const VerificationBody = Type.Object(
  {
    id: Type.String(),
    status: Type.Enum(STATUSES, { type: 'string' }),
    phoneNumber: Type.Object({ masked: Type.String({ description: 'R1: every digit but the last four is *' }) }),
    verificationNumber: Type.Object({
      e164: Type.String(),
      display: Type.String({ description: 'As shown on screen ④, e.g. 0120-000-001' }),
      telUri: Type.String({ description: 'R8: tap to dial' }),
    }),
    createdAt: Iso,
    expiresAt: Iso,
    windowSeconds: Type.Integer(),
    remainingSeconds: Type.Integer(),
    calls: Type.Integer({ description: 'R7: calls from the registered number that arrived in the window' }),
    reference: Type.Optional(Type.String()),
    verifiedAt: Type.Optional(Iso),
    confirmedAt: Type.Optional(Iso),
    cancelledAt: Type.Optional(Iso),
    cancelReason: Type.Optional(Type.Enum(CANCEL_REASONS, { type: 'string' })),
    callerAttestation: Type.Optional(Type.Object(
      {
        result: Type.Enum(ATTESTATION_RESULTS, { type: 'string' }),
        level: Type.Optional(Type.Enum(ATTESTATION_LEVELS, { type: 'string' })),
      },
      { description: "The verifying call's SHAKEN/STIR caller-ID attestation, when its carrier sent one; absent means unknown (usual in Japan today), never failed" },
    )),
    message: Type.Object({ ja: Type.String(), en: Type.String() }),
    pollToken: Type.Optional(Type.String({ description: 'Only in the create answer: the frontend credential' })),
  },
  { description: 'A verification as the backend and the frontend see it' },
)
export type VerificationBody = Static<typeof VerificationBody>

// The schema is domain/present.ts's VerificationView (and the create answer's pollToken): a
// field added to one and not the other fails to compile here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const sameShape: Same<Omit<VerificationBody, 'pollToken'>, VerificationView> = true
void sameShape

export const ServiceStatusQuery = Type.Object({ at: Type.Optional(Iso) })
export const ServiceStatusBody = Type.Object({
  open: Type.Boolean(),
  reason: Type.Optional(Type.String()),
  until: Type.Optional(Iso),
})
