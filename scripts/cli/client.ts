// The admin API as the CLI sees it: a JSON request, and failures sorted by what the operator
// must do about them (exit codes in cli.ts): the API refused (1), or the service is not there (3).

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly body: unknown) {
    super(message)
  }
}

export class Unreachable extends Error {}

export interface AdminClient {
  request<T>(method: string, path: string, body?: unknown): Promise<T>
}

/** fetch hides the network error in `cause` (ECONNREFUSED, ENOTFOUND, "bad port"). */
export function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (error as Error).message
}

const TIMEOUT_MS = 60_000 // a pool sync waits for Twilio

export function adminClient(baseUrl: string, token: string): AdminClient {
  const base = baseUrl.replace(/\/+$/, '')
  return {
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      let response: Response
      try {
        response = await fetch(base + path, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        })
      } catch (error) {
        throw new Unreachable(`cannot reach callverify at ${base} (${reasonOf(error)}): is the service running there? Set CALLVERIFY_URL if it runs elsewhere.`)
      }
      if (response.status === 204) return undefined as T
      const text = await response.text()
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        // Not our answer: a proxy's error page, or something else listening on that port.
        const message = `${base} answered ${response.status} without a callverify body: is CALLVERIFY_URL the service itself?`
        if (response.status >= 500) throw new Unreachable(message)
        throw new ApiError(response.status, 'UNEXPECTED_ANSWER', message, text)
      }
      if (!response.ok) {
        const error = (json as { error?: { code?: string; message?: string } }).error
        throw new ApiError(response.status, error?.code ?? 'UNEXPECTED_ANSWER', error?.message ?? `HTTP ${response.status}`, json)
      }
      return json as T
    },
  }
}
