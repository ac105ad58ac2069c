import { Type, type Static } from 'typebox'

// Schemas of the operations console's sign-in (http/admin/console.ts).

export const SignInBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 512, description: 'An admin token (ADMIN_TOKENS): exchanged once for the session cookie' }) },
  { additionalProperties: false },
)
export type SignInBody = Static<typeof SignInBody>

export const SessionInfo = Type.Object({
  admin: Type.String({ description: "The admin token's name: shown in the console's header and written to the audit log" }),
  csrfToken: Type.String({ description: 'Send it as X-CSRF-Token with every change made on this session' }),
  expiresAt: Type.String({ format: 'date-time', description: 'The session ends then (8 hours after sign-in)' }),
  tenants: Type.Array(Type.String(), { description: 'The tenants (API_KEYS names) whose day locks staff may look up' }),
})
export type SessionInfo = Static<typeof SessionInfo>

export const ConsoleAssetParams = Type.Object({ name: Type.String({ maxLength: 64 }) })
export type ConsoleAssetParams = Static<typeof ConsoleAssetParams>
