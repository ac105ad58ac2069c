// @signalwire/compatibility-api ships types its package.json "exports" hides from TypeScript's
// node16 resolution; the one function the signature test calls, as its compatibility-api.d.ts declares it.
declare module '@signalwire/compatibility-api' {
  export const RestClient: {
    validateRequest(authToken: string, signature: string, url: string, params: Record<string, unknown>): boolean
  }
}
