// The contract's error table (docs/contract.md "Errors"), one entry per code, key equal to code.
// Japanese messages are the customer messages of docs/rules.md; test/domain/errors.test.ts ties
// this table to the contract and to the OpenAPI document in both directions.

export interface ErrorSpec {
  readonly status: number
  readonly message: string
  readonly messageJa: string
}

const SYSTEM_FAULT_JA = '調整のため連絡ができなくなりました。なお、お急ぎの場合は本サービスのお問合せ窓口へご照会下さい。'
const UNAVAILABLE_JA = 'ご指定のサービスはただ今お取扱できません。なお、お急ぎの場合は本サービスのお問合せ窓口へご照会下さい。'
const WAITING_JA = '認証中（認証着信待ち）'
const EXPIRED_JA = '120秒が経過しました。API連携認証の最初に戻って操作してください。'
const CANCELLED_JA = 'API連携認証を中止しました。'
const BUSY_JA = 'ただ今受付が混雑しておりますので、しばらくしてからご利用下さい。'
const CLOSED_JA = 'ただ今の時間はサービスを行っていません。ご了承ください。'

export const ERRORS = {
  INVALID_REQUEST: { status: 400, message: 'The request does not match the schema', messageJa: UNAVAILABLE_JA },
  INVALID_PHONE_NUMBER: {
    status: 400,
    message: 'Not a Japanese phone number that can place a call (10 or 11 digits, no hyphens)',
    messageJa: '電話番号は半角数字10桁または11桁（ハイフンなし）で入力してください。',
  },
  UNAUTHORIZED: { status: 401, message: 'Missing or unknown credential', messageJa: UNAVAILABLE_JA },
  FORBIDDEN: { status: 403, message: 'This credential is not allowed here', messageJa: UNAVAILABLE_JA },
  INVALID_SIGNATURE: { status: 403, message: 'The carrier signature does not verify', messageJa: UNAVAILABLE_JA },
  NOT_FOUND: { status: 404, message: 'Not found', messageJa: UNAVAILABLE_JA },
  VERIFICATION_PENDING: { status: 409, message: 'Waiting for the call from the registered number', messageJa: WAITING_JA },
  VERIFICATION_CANCELLED: { status: 409, message: 'The verification was cancelled', messageJa: CANCELLED_JA },
  // Not in the contract's table: cancelling a confirmed verification needs a conflict code of its own.
  VERIFICATION_CONFIRMED: { status: 409, message: 'The verification is already confirmed', messageJa: '認証は完了しています。' },
  // Not in the contract's table: adding a pool number that is already there (POST /admin/numbers).
  ALREADY_EXISTS: { status: 409, message: 'Already exists', messageJa: UNAVAILABLE_JA },
  // Not in the contract's table: a pool change that would stop allocation or revive a retired
  // number (PATCH /admin/numbers) is refused unless the operator repeats it with ?force=true.
  FORCE_REQUIRED: { status: 409, message: 'This change needs ?force=true', messageJa: UNAVAILABLE_JA },
  VERIFICATION_EXPIRED: { status: 410, message: 'The window is over: start again', messageJa: EXPIRED_JA },
  LOCKED: {
    status: 423,
    message: 'Locked for today after repeated failures (reason code B84)',
    messageJa: 'ただ今お取扱いできません。詳しくは本サービスのお問合せ窓口へご照会下さい。理由コードはB84です。',
  },
  TOO_MANY_REQUESTS: { status: 429, message: 'Too many requests: retry later', messageJa: BUSY_JA },
  OUT_OF_SERVICE_HOURS: { status: 503, message: 'Out of service hours', messageJa: CLOSED_JA },
  MAINTENANCE: { status: 503, message: 'Closed for maintenance', messageJa: CLOSED_JA },
  CONGESTED: { status: 503, message: 'The service is congested: retry later', messageJa: BUSY_JA },
  POOL_EXHAUSTED: { status: 503, message: 'No verification number is free for this caller', messageJa: UNAVAILABLE_JA },
  STORE_UNAVAILABLE: { status: 503, message: 'The store cannot be reached', messageJa: SYSTEM_FAULT_JA },
  // Not in the contract's table: the carrier's REST API failed or refused (POST /admin/numbers/sync).
  CARRIER_UNAVAILABLE: { status: 502, message: 'The carrier API failed', messageJa: SYSTEM_FAULT_JA },
} as const satisfies Record<string, ErrorSpec>

export type ErrorCode = keyof typeof ERRORS

export const INTERNAL_ERROR_CODE = 'INTERNAL_ERROR'

/** The message a 500 shows: never the detail, which goes to the log only. */
export const INTERNAL_ERROR = { status: 500, message: 'Internal error', messageJa: SYSTEM_FAULT_JA } as const

export const STATUS_MESSAGES = {
  pending: { ja: WAITING_JA, en: 'Waiting for your call' },
  verified: { ja: '着信を確認しました。「確定する」を押してください。', en: 'Call received: press confirm' },
  confirmed: { ja: '電話発信による認証が完了しました。', en: 'Verified' },
  expired: { ja: EXPIRED_JA, en: 'The window is over: start again' },
  cancelled: { ja: CANCELLED_JA, en: 'Verification cancelled' },
} as const

export const LOCKED_TODAY_JA = 'お取扱いができなくなりました。詳しくは本サービスのお問合せ窓口へご照会下さい。'

/** A contract error: thrown anywhere, answered by the one error handler as it is. */
export class CallverifyError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly messageJa: string
  readonly details: Record<string, unknown>
  readonly retryAfterSeconds: number | undefined

  constructor(code: ErrorCode, details: Record<string, unknown> = {}, options: { message?: string; retryAfterSeconds?: number; status?: number } = {}) {
    const spec: ErrorSpec = ERRORS[code]
    super(options.message ?? spec.message)
    this.name = 'CallverifyError'
    this.code = code
    // A framework refusal keeps its own 4xx (413, 415) under the INVALID_REQUEST code.
    this.status = options.status ?? spec.status
    this.messageJa = spec.messageJa
    this.details = details
    this.retryAfterSeconds = options.retryAfterSeconds
  }

  toBody(): { error: Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, messageJa: this.messageJa, ...this.details } }
  }
}
