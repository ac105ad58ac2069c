// @ts-check
// The element's words, Japanese (the seed's screens ③ and ④, SOA208/SOA209) and English.
// Status messages come from the server's `message`; the error messages here are docs/rules.md's
// customer messages, which test/sdk/text.test.ts holds equal to the service's error table.

const SYSTEM_FAULT_JA = '調整のため連絡ができなくなりました。なお、お急ぎの場合は本サービスのお問合せ窓口へご照会下さい。'
const UNAVAILABLE_JA = 'ご指定のサービスはただ今お取扱できません。なお、お急ぎの場合は本サービスのお問合せ窓口へご照会下さい。'
const OUT_OF_HOURS_JA = 'ただ今の時間はサービスを行っていません。ご了承ください。'
const CONGESTED_JA = 'ただ今受付が混雑しておりますので、しばらくしてからご利用下さい。'

export const TEXT = {
  ja: {
    title: '電話番号認証',
    intro: 'お届け出電話番号から認証先電話番号にお電話ください。電話番号認証完了後、「確定する」ボタンを押してください。',
    from: '発信元',
    fromSub: 'お届け出電話番号',
    to: '発信先',
    toSub: '認証先電話番号（通話料無料）',
    dialLabel: (/** @type {string} */ n) => `認証先電話番号 ${n} に電話をかける`,
    tapToCall: 'タップして電話をかける',
    qrLabel: (/** @type {string} */ n) => `認証先電話番号 ${n} に電話をかけるためのQRコード`,
    qrHint: 'パソコンでご覧の場合：お届け出電話番号のスマートフォンのカメラでQRコードを読み取ると、発信できます。',
    remaining: (/** @type {number} */ s) => `残り ${s} 秒`,
    confirm: '確定する',
    cancel: '中止する',
    checking: '確認しています…',
    loading: '読み込んでいます…',
    notesTitle: '注意',
    notes: (/** @type {number} */ w) => [
      `本画面が表示されてから${w}秒以内に、お電話ください。`,
      '電話番号が非通知設定になっている場合は認証できません。非通知設定を解除していただくか、架電時に「186」をつけてください。',
      '呼出音がならない場合は、再度お電話ください。',
      '電話番号のおかけ間違いがないようにご注意ください。',
      '2〜3コール後、自動で電話が切れ、認証完了します。アナウンスは流れません。',
      '本架電での通話料金は発生しません。',
      `${w}秒経過後の架電・${w}秒経過後の「確定する」ボタン選択は無効となります。`,
    ],
    errors: {
      LOCKED: 'ただ今お取扱いできません。詳しくは本サービスのお問合せ窓口へご照会下さい。理由コードはB84です。',
      OUT_OF_SERVICE_HOURS: OUT_OF_HOURS_JA,
      MAINTENANCE: OUT_OF_HOURS_JA,
      CONGESTED: CONGESTED_JA,
      TOO_MANY_REQUESTS: CONGESTED_JA,
      VERIFICATION_PENDING: '認証中（認証着信待ち）',
      VERIFICATION_EXPIRED: '120秒が経過しました。API連携認証の最初に戻って操作してください。',
      VERIFICATION_CANCELLED: 'API連携認証を中止しました。',
      STORE_UNAVAILABLE: SYSTEM_FAULT_JA,
      NETWORK: SYSTEM_FAULT_JA,
      OTHER: UNAVAILABLE_JA,
    },
  },
  en: {
    title: 'Verify your phone number',
    intro: 'Call the verification number from your registered phone. When the call has been received, press Confirm.',
    from: 'Call from',
    fromSub: 'your registered number',
    to: 'Call to',
    toSub: 'verification number (toll-free)',
    dialLabel: (/** @type {string} */ n) => `Call the verification number ${n}`,
    tapToCall: 'Tap to call',
    qrLabel: (/** @type {string} */ n) => `QR code to call the verification number ${n}`,
    qrHint: 'On a computer: scan the QR code with the camera of your registered smartphone to place the call.',
    remaining: (/** @type {number} */ s) => `${s} s left`,
    confirm: 'Confirm',
    cancel: 'Cancel',
    checking: 'Checking…',
    loading: 'Loading…',
    notesTitle: 'Please note',
    notes: (/** @type {number} */ w) => [
      `Call within ${w} seconds of this screen appearing.`,
      'A call with a withheld caller ID cannot be verified: show your number, or dial 186 before the number.',
      'If you hear no ringing, call again.',
      'Make sure you dial the number shown.',
      'The call rings two or three times, then ends by itself: that completes the check. Nothing is played.',
      'The call is free of charge.',
      `A call or Confirm after ${w} seconds does not count.`,
    ],
    errors: {
      LOCKED: 'This service is not available to you today. Please contact us for details. Reason code: B84.',
      OUT_OF_SERVICE_HOURS: 'The service is not available at this hour. We apologise for the inconvenience.',
      MAINTENANCE: 'The service is not available at this hour. We apologise for the inconvenience.',
      CONGESTED: 'We are very busy right now. Please try again in a little while.',
      TOO_MANY_REQUESTS: 'We are very busy right now. Please try again in a little while.',
      VERIFICATION_PENDING: 'Waiting for your call',
      VERIFICATION_EXPIRED: 'The time is up. Please start again from the beginning.',
      VERIFICATION_CANCELLED: 'Verification cancelled.',
      STORE_UNAVAILABLE: 'We cannot reach the service right now. If it is urgent, please contact us.',
      NETWORK: 'We cannot reach the service right now. If it is urgent, please contact us.',
      OTHER: 'This service is not available right now. If it is urgent, please contact us.',
    },
  },
}

/** @typedef {keyof typeof TEXT} Lang */
/** @typedef {typeof TEXT.ja} Words */

/** @param {string | null} lang @returns {Words} */
export function wordsFor(lang) {
  return /** @type {Words} */ (lang?.toLowerCase().startsWith('en') ? TEXT.en : TEXT.ja)
}

/** The customer's message for a contract error code (or NETWORK) in the element's language. */
export function errorMessage(/** @type {Words} */ words, /** @type {string} */ code) {
  const table = /** @type {Record<string, string>} */ (words.errors)
  return table[code] ?? table.OTHER
}
