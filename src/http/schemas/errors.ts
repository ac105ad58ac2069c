import { Type } from 'typebox'
import { ERRORS, INTERNAL_ERROR_CODE } from '../../domain/errors.js'

// The contract's error body; extra fields (reasonCode, lockedUntil, reason, until) ride along.
export const ErrorBody = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ enum: [...Object.keys(ERRORS), INTERNAL_ERROR_CODE], description: 'The contract error code' }),
        message: Type.String(),
        messageJa: Type.String(),
        reasonCode: Type.Optional(Type.String()),
        lockedUntil: Type.Optional(Type.String({ format: 'date-time' })),
        reason: Type.Optional(Type.String()),
        until: Type.Optional(Type.String({ format: 'date-time' })),
        details: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
      },
      { additionalProperties: true },
    ),
  },
  { $id: 'Error', description: 'Every error: the contract code, an English message and the customer message in Japanese' },
)

/** A route's error answers, by status: each the contract's error body. */
export const errorResponses = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, Type.Ref('Error')]))
