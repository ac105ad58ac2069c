import type { ErrorCode } from '../domain/errors.js'

// What a failed call to callverify throws: the contract's error, read from its body
// ({"error": {"code", "message", "messageJa", …}}) and its Retry-After header.

/** A contract code; INTERNAL_ERROR for a 500 or an answer that is not the contract's shape. */
export type CallverifyErrorCode = ErrorCode | 'INTERNAL_ERROR'

export interface CallverifyErrorBody {
  code: CallverifyErrorCode
  message: string
  messageJa: string
  reasonCode?: string
  lockedUntil?: string
  reason?: string
  until?: string
  details?: { path: string; message: string }[]
  [field: string]: unknown
}

export class CallverifyError extends Error {
  readonly code: CallverifyErrorCode
  /** The HTTP status. */
  readonly status: number
  /** The customer's message (docs/rules.md), to show on the bank's page. */
  readonly messageJa: string
  /** LOCKED: "B84" (R11). */
  readonly reasonCode: string | undefined
  /** LOCKED: when the lock lifts (the next 00:00 Japan time), ISO 8601. */
  readonly lockedUntil: string | undefined
  /** 429 and 503: the Retry-After header, in seconds. */
  readonly retryAfterSeconds: number | undefined
  /** The whole error object of the body (reason, until, details…). */
  readonly body: CallverifyErrorBody

  constructor(status: number, body: CallverifyErrorBody, retryAfterSeconds?: number) {
    super(body.message)
    this.name = 'CallverifyError'
    this.code = body.code
    this.status = status
    this.messageJa = body.messageJa
    this.reasonCode = body.reasonCode
    this.lockedUntil = body.lockedUntil
    this.retryAfterSeconds = retryAfterSeconds
    this.body = body
  }
}

const SYSTEM_FAULT_JA = '調整のため連絡ができなくなりました。なお、お急ぎの場合は本サービスのお問合せ窓口へご照会下さい。'

/** The error a non-2xx answer stands for: its contract body, or INTERNAL_ERROR when it has none. */
export function errorOf(status: number, text: string, retryAfter: string | null): CallverifyError {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  const error = (parsed as { error?: Partial<CallverifyErrorBody> } | undefined)?.error
  const retryAfterSeconds = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return new CallverifyError(status, { messageJa: SYSTEM_FAULT_JA, ...error } as CallverifyErrorBody, retryAfterSeconds)
  }
  // A proxy's HTML page, an empty body: say what came back, not what it said.
  return new CallverifyError(status, { code: 'INTERNAL_ERROR', message: `callverify answered ${status} without a contract error body`, messageJa: SYSTEM_FAULT_JA }, retryAfterSeconds)
}
