// The console's words, Japanese first (the operations desk's language) and English.
// Static text carries data-i18n="key"; scripts call t(key, values).

const TEXT = {
  ja: {
    title: 'callverify 運用コンソール',
    language: 'English',
    languageLabel: 'Switch the console to English',
    signedInAs: 'ログイン中: {admin}',
    signOut: 'ログアウト',
    signInTitle: 'ログイン',
    signInHelp: '管理トークン（ADMIN_TOKENS）を一度入力すると、8時間有効なセッションになります。',
    tokenLabel: '管理トークン',
    signIn: 'ログイン',
    signedOut: 'ログアウトしました。',
    sessionEnded: 'セッションが終了しました。もう一度ログインしてください。',
    sections: 'コンソールの項目',
    poolTitle: '認証番号プール',
    colNumber: '番号', colCarrier: 'キャリア', colState: '状態', colWeight: '重み', colLabel: 'ラベル', colHealth: '健全性',
    colPending: '待機中', colCallsToday: '本日の着信', colLastCall: '最終着信', colSinceCall: '着信後の割当', colActions: '操作',
    state_active: '稼働中', state_draining: '停止準備中', state_quarantined: '隔離中', state_retired: '廃止',
    health_ok: '正常', health_silent: '無着信', health_answered: '応答あり',
    edit: '{number} を変更',
    never: 'なし',
    addTitle: '番号を追加',
    e164Label: '番号（E.164、例 +81120000004）', carrierLabel: 'キャリア', weightLabel: '重み（0〜1000）', labelLabel: 'ラベル',
    add: '追加する',
    added: '{number} を追加しました。',
    editTitle: '{number} の変更',
    save: '重みとラベルを保存',
    saved: '{number} を保存しました。',
    drain: '停止準備（割当をやめる）', quarantine: '隔離する', reactivate: '稼働に戻す', retire: '廃止する',
    changed: '{number}: {state} にしました。',
    forceTitle: '確認が必要です',
    forceText: 'この変更では割り当てられる番号がなくなるか、廃止した番号を戻すことになります。本当に実行しますか？',
    force: 'それでも実行する（force）',
    cancel: '閉じる',
    syncTitle: 'キャリアと同期（Twilio）',
    syncHelp: 'まず変更内容を確認し（dry run）、内容を見てから適用します。',
    syncDry: '変更内容を確認する（dry run）',
    syncApply: 'この内容を適用する',
    syncDryDone: '確認のみ: 次の変更を適用できます。',
    syncApplied: '同期しました: 次の変更を適用しました。',
    syncUpdated: '向け先を変更する番号', syncUnchanged: '変更なし', syncMissing: 'アカウントにない番号', syncNotInPool: 'プール外の番号', syncOnTrunk: 'SIPトランク経由（手作業で修正）',
    none: 'なし',
    glanceTitle: '24時間の様子',
    glanceHelp: '1時間ごとの着信（灰）と認証できた着信（緑）。',
    chartLabel: '{number}: 24時間の着信 {calls} 件、うち認証 {verified} 件',
    calls24: '着信 {calls} 件 / 認証 {verified} 件',
    hoursAgo: '24時間前', thisHour: '現在',
    adviceSilent: '{number} は着信のないまま {count} 回割り当てられています。キャリア側の着信設定を確認し（同期の dry run）、直したら「稼働に戻す」、直せない間は「停止準備」にしてください。',
    adviceAnswered: '{number} で着信に応答してしまいました（キャリア側の設定誤り）。自動で隔離しました。音声URLを同期で直してから「稼働に戻す」を選んでください。',
    allHealthy: 'すべての番号が正常です。',
    helpTitle: 'お客様の支援（本日のロック）',
    helpText: 'お届け出電話番号とテナントを入力してください。番号は画面に下4桁だけ表示します（R1）。',
    phoneLabel: 'お届け出電話番号（10〜11桁）', tenantLabel: 'テナント',
    lookUp: '確認する',
    lockedYes: '本日ロック中です（{until} まで）。', lockedNo: 'ロックされていません。',
    failures: '本日の失敗回数: {count}',
    lockOf: '{number}（{tenant}）',
    reasonLabel: 'ロックを解除する理由（監査ログに記録されます）',
    lift: 'ロックを解除する',
    lifted: '{number} のロックを解除しました。',
    liftedNone: '{number}: ロックはありませんでした。本日の失敗回数を0にしました。',
    maintenanceTitle: 'メンテナンス',
    colStart: '開始（日本時間）', colEnd: '終了（日本時間）', colNote: '内容', colBy: '登録者', colActive: '実施中',
    startLabel: '開始（日本時間）', endLabel: '終了（日本時間）', noteLabel: '内容',
    announce: '告知する',
    announced: 'メンテナンスを告知しました: {start} 〜 {end}',
    withdraw: '{start} のメンテナンスを取り下げる',
    withdrawn: 'メンテナンスを取り下げました。',
    noMaintenance: '予定されたメンテナンスはありません。',
    yes: 'はい', no: 'いいえ',
    auditTitle: '監査ログ',
    actorLabel: '操作者', numberLabel: '番号',
    filter: '絞り込む',
    colAt: '日時（日本時間）', colActor: '操作者', colAction: '操作', colTarget: '対象', colReason: '理由', colChange: '変更前 → 変更後',
    pageOf: '{total} 件中 {from}〜{to} 件目',
    newer: '新しい方へ', older: '古い方へ',
    noEntries: '該当する記録はありません。',
    failed: '失敗しました（{code}）: {message}',
  },
  en: {
    title: 'callverify operations console',
    language: '日本語',
    languageLabel: 'コンソールを日本語に切り替える',
    signedInAs: 'Signed in: {admin}',
    signOut: 'Sign out',
    signInTitle: 'Sign in',
    signInHelp: 'Enter an admin token (ADMIN_TOKENS) once: it opens a session of 8 hours.',
    tokenLabel: 'Admin token',
    signIn: 'Sign in',
    signedOut: 'Signed out.',
    sessionEnded: 'Your session has ended. Please sign in again.',
    sections: 'Console sections',
    poolTitle: 'Verification number pool',
    colNumber: 'Number', colCarrier: 'Carrier', colState: 'State', colWeight: 'Weight', colLabel: 'Label', colHealth: 'Health',
    colPending: 'Pending now', colCallsToday: 'Calls today', colLastCall: 'Last call', colSinceCall: 'Allocations since last call', colActions: 'Actions',
    state_active: 'active', state_draining: 'draining', state_quarantined: 'quarantined', state_retired: 'retired',
    health_ok: 'ok', health_silent: 'silent', health_answered: 'answered',
    edit: 'Change {number}',
    never: 'never',
    addTitle: 'Add a number',
    e164Label: 'Number (E.164, e.g. +81120000004)', carrierLabel: 'Carrier', weightLabel: 'Weight (0–1000)', labelLabel: 'Label',
    add: 'Add',
    added: 'Added {number}.',
    editTitle: 'Change {number}',
    save: 'Save weight and label',
    saved: 'Saved {number}.',
    drain: 'Drain (stop allocating)', quarantine: 'Quarantine', reactivate: 'Reactivate', retire: 'Retire',
    changed: '{number} is now {state}.',
    forceTitle: 'Confirmation needed',
    forceText: 'This change leaves no number to allocate, or revives a retired number. Do it anyway?',
    force: 'Do it anyway (force)',
    cancel: 'Close',
    syncTitle: 'Sync with the carrier (Twilio)',
    syncHelp: 'First see what would change (dry run), then apply it.',
    syncDry: 'See what would change (dry run)',
    syncApply: 'Apply these changes',
    syncDryDone: 'Dry run: these changes can be applied.',
    syncApplied: 'Synced: these changes were applied.',
    syncUpdated: 'Numbers pointed at this service', syncUnchanged: 'Unchanged', syncMissing: 'Missing in the account', syncNotInPool: 'In the account, not in the pool', syncOnTrunk: 'On a SIP trunk (fix by hand)',
    none: 'none',
    glanceTitle: 'At a glance: the last 24 hours',
    glanceHelp: 'Calls (grey) and verified calls (green) per hour.',
    chartLabel: '{number}: {calls} calls in 24 hours, {verified} verified',
    calls24: '{calls} calls / {verified} verified',
    hoursAgo: '24 h ago', thisHour: 'now',
    adviceSilent: '{number} was handed out {count} times without a call arriving. Check its inbound routing at the carrier (sync, dry run); once fixed, Reactivate it, and drain it until then.',
    adviceAnswered: '{number} answered a call: it is misconfigured at the carrier, and was quarantined. Fix its voice URL with a sync, then Reactivate it.',
    allHealthy: 'Every number is healthy.',
    helpTitle: 'Help a customer (today\'s lock)',
    helpText: 'Type the registered number and choose the tenant. The page shows only its last four digits (R1).',
    phoneLabel: 'Registered number (10–11 digits)', tenantLabel: 'Tenant',
    lookUp: 'Look up',
    lockedYes: 'Locked today, until {until}.', lockedNo: 'Not locked.',
    failures: 'Failures today: {count}',
    lockOf: '{number} ({tenant})',
    reasonLabel: 'Reason for lifting the lock (kept in the audit log)',
    lift: 'Lift the lock',
    lifted: 'Lifted the lock of {number}.',
    liftedNone: '{number} was not locked; today\'s failures are cleared.',
    maintenanceTitle: 'Maintenance',
    colStart: 'Starts (Japan time)', colEnd: 'Ends (Japan time)', colNote: 'Note', colBy: 'By', colActive: 'In progress',
    startLabel: 'Starts (Japan time)', endLabel: 'Ends (Japan time)', noteLabel: 'Note',
    announce: 'Announce',
    announced: 'Maintenance announced: {start} – {end}',
    withdraw: 'Withdraw the maintenance of {start}',
    withdrawn: 'Maintenance withdrawn.',
    noMaintenance: 'No maintenance announced.',
    yes: 'yes', no: 'no',
    auditTitle: 'Audit log',
    actorLabel: 'Operator', numberLabel: 'Number',
    filter: 'Filter',
    colAt: 'When (Japan time)', colActor: 'Operator', colAction: 'Action', colTarget: 'Target', colReason: 'Reason', colChange: 'Before → after',
    pageOf: '{from}–{to} of {total}',
    newer: 'Newer', older: 'Older',
    noEntries: 'No entries.',
    failed: 'Failed ({code}): {message}',
  },
}

let lang = localStorage.getItem('callverify.console.lang') === 'en' ? 'en' : 'ja'

export function language() {
  return lang
}

export function setLanguage(next) {
  lang = next
  localStorage.setItem('callverify.console.lang', next)
  document.documentElement.lang = next
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n)
  for (const el of document.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel))
  document.title = t('title')
}

export function t(key, values = {}) {
  const text = TEXT[lang][key] ?? TEXT.en[key] ?? key
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ''))
}

const JAPAN = { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }

/** An ISO time as Japan time, e.g. 2026/12/02 09:30. */
export function japanTime(iso) {
  return iso ? new Intl.DateTimeFormat('ja-JP', JAPAN).format(new Date(iso)) : t('never')
}

/** A datetime-local value read as Japan time → ISO 8601 UTC, what the API takes. */
export function isoFromJapan(local) {
  return new Date(`${local}:00+09:00`).toISOString()
}
