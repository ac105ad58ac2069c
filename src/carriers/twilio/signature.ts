import twilio from 'twilio'

// Twilio signs each webhook with HMAC-SHA1 over the URL it called followed by the sorted
// form pairs, keyed by the auth token (Twilio docs, "Webhooks security"). The URL is the
// one configured on the number, so it is rebuilt from PUBLIC_BASE_URL: Host and
// X-Forwarded-* are whatever the caller wants them to be, and a proxy may rewrite them.

export type TwilioParams = Record<string, string | string[]>

export interface SignedRequest {
  authToken: string
  /** PUBLIC_BASE_URL, e.g. https://callverify.example.com (a trailing slash is ignored). */
  publicBaseUrl: string
  /** request.url as fastify has it: path and query, exactly as received. */
  url: string
  /** The parsed form body; anything but a plain object counts as no parameters. */
  params: unknown
  /** The X-Twilio-Signature header. */
  signature: string | string[] | undefined
}

/** The URL Twilio signed for a request that arrived at `path` (path + query). */
export function publicUrl(publicBaseUrl: string, path: string): string {
  return publicBaseUrl.replace(/\/+$/, '') + path
}

function formParams(body: unknown): TwilioParams | null {
  if (body === undefined || body === null) return {}
  if (typeof body !== 'object' || Array.isArray(body)) return null
  const params: TwilioParams = {}
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string') params[key] = value
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) params[key] = value
    else return null
  }
  return params
}

/** Does X-Twilio-Signature match this request? Constant-time inside twilio's validateRequest. */
export function verifyTwilioSignature(request: SignedRequest): boolean {
  const { signature, authToken } = request
  if (typeof signature !== 'string' || signature === '' || authToken === '') return false
  if (!request.url.startsWith('/')) return false
  const params = formParams(request.params)
  if (!params) return false
  try {
    return twilio.validateRequest(authToken, signature, publicUrl(request.publicBaseUrl, request.url), params)
  } catch {
    // validateRequest parses the URL with new URL(); a URL that does not parse cannot verify.
    return false
  }
}

/** The X-Twilio-Signature Twilio would send for `fullUrl` and `params` (simulator, demo, tests). */
export function signTwilioRequest(authToken: string, fullUrl: string, params: TwilioParams): string {
  return twilio.getExpectedTwilioSignature(authToken, fullUrl, params)
}
