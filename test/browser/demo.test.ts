import type { Browser, BrowserContext, Page, Response } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { describeBrowser, expectHttpErrorLogged, launchBrowser, overflowing, screenshotDir, seriousViolations, watchErrors } from '../support/browser.js'
import { startService, type Service } from '../support/service.js'

// GET /demo in Debian's chromium against the real service on a real listener: a thin bank
// page (screen ②'s field, screen ③) around <callverify-call> (screen ④), its backend holding
// the `demo` tenant's key. The call, 確定する (R9), 中止する (R10), withheld (R5), the window
// (R3), the day lock (R11), SSE and long-poll, a phone-sized screen, accessibility.

const SHOTS = screenshotDir()
const WAITING = '認証中（認証着信待ち）'
const VERIFIED = '着信を確認しました'
const WINDOW_OVER = '120秒が経過しました。API連携認証の最初に戻って操作してください。'
const CANCELLED = 'API連携認証を中止しました。'
const LOCKED_B84 = 'ただ今お取扱いできません。詳しくは本サービスのお問合せ窓口へご照会下さい。理由コードはB84です。'
// The bank's own key: the demo must never use it (issue 14), nor show it.
const BANK_KEY = 'bank-tenant-key-0123456789abcdef'

interface Started { id: string; pollToken: string; verificationNumber: { e164: string; display: string; telUri: string } }

let browser: Browser
let main: Service
const contexts: BrowserContext[] = []
const errors: string[] = []

beforeAll(async () => {
  browser = await launchBrowser()
  // No `demo` tenant in API_KEYS: the demo makes up its own rather than borrow the bank's.
  main = await startService({ API_KEYS: `bank:${BANK_KEY}` })
})

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()))
  expect(errors.splice(0)).toEqual([])
})

afterAll(async () => {
  await browser?.close()
  await main?.close()
})

async function openDemo(service: Service, options: { viewport?: { width: number; height: number }; noEventSource?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 800, height: 900 }, locale: 'ja-JP' })
  contexts.push(context)
  context.setDefaultTimeout(8000)
  if (options.noEventSource) await context.addInitScript('delete window.EventSource')
  const page = await context.newPage()
  watchErrors(page, errors)
  await page.goto(`${service.url}/demo`)
  await page.waitForSelector('body[data-ready="true"]')
  return page
}

const phoneField = (page: Page) => page.getByRole('textbox', { name: /電話番号/ })
const headingFocused = (page: Page, id: string) => page.waitForFunction((expected) => document.activeElement?.id === expected, id)
const kit = (page: Page) => page.locator('callverify-call')
const statusText = (page: Page, text: string) => kit(page).getByRole('status').filter({ hasText: text }).waitFor()
const statusOf = async (service: Service, id: string) => (await service.store.getVerification(id))?.verification.status

/** Form → screen ③ → 電話番号の決定 → screen ④ (the element); returns what the demo backend handed the browser. */
async function reachScreen4(page: Page, phoneNumber: string, shot?: string): Promise<Started> {
  await phoneField(page).fill(phoneNumber)
  await page.getByRole('button', { name: '次へ' }).click()
  await headingFocused(page, 'number-title')
  expect(await page.locator('#number-masked').textContent()).toBe(`*******${phoneNumber.slice(-4)}`)
  if (shot) await page.screenshot({ path: `${SHOTS}${shot}`, fullPage: true })
  const started = page.waitForResponse((res) => res.url().endsWith('/demo/api/start'))
  await page.getByRole('button', { name: '電話番号の決定' }).click()
  const body = (await (await started).json()) as Started
  await headingFocused(page, 'call-title')
  await kit(page).getByRole('link', { name: /認証先電話番号/ }).waitFor()
  return body
}

describeBrowser('GET /demo in chromium', () => {
  it('flow — ③ masked number, ④ the element, the call, 確定する, completion; the browser never sees a key or the number', async () => {
    const page = await openDemo(main)
    const bodies: string[] = []
    page.on('response', (res: Response) => {
      if (['fetch', 'xhr', 'document', 'script'].includes(res.request().resourceType())) void res.text().then((t) => bodies.push(t), () => {})
    })
    const started = await reachScreen4(page, '09012345678', 'flow-screen3.png')
    expect(await kit(page).locator('[part="masked"]').textContent()).toBe('*******5678')
    const dial = kit(page).getByRole('link', { name: /認証先電話番号/ })
    expect(await dial.getAttribute('href')).toBe(started.verificationNumber.telUri)
    expect(started.verificationNumber.telUri).toMatch(/^tel:\+81120000\d{3}$/)
    await statusText(page, WAITING)
    expect(await seriousViolations(page)).toEqual([])

    await page.getByRole('button', { name: 'お届け出電話番号から発信する' }).click()
    await statusText(page, VERIFIED)
    expect(await statusOf(main, started.id)).toBe('verified')
    await kit(page).getByRole('button', { name: '確定する' }).click()
    await headingFocused(page, 'done-title')
    expect(await page.locator('#screen-done').textContent()).toContain('キャッシュカード暗証番号')
    expect(await statusOf(main, started.id)).toBe('confirmed')
    // The demo's own tenant, made up at start: not the bank's.
    expect((await main.store.getVerification(started.id))?.verification.tenant).toBe('demo')
    await page.screenshot({ path: `${SHOTS}flow-complete.png`, fullPage: true })

    const seen = bodies.join('\n')
    expect(seen).not.toContain(BANK_KEY)
    expect(seen).not.toContain('09012345678')
    expect(seen).not.toContain('+819012345678')
  })

  it('確定する — before the call says 認証中（認証着信待ち） and may be pressed again; after the call it completes (R9)', async () => {
    const page = await openDemo(main)
    const started = await reachScreen4(page, '09012340001')
    const confirm = kit(page).getByRole('button', { name: '確定する' })
    await confirm.click()
    await expect.poll(() => confirm.isEnabled()).toBe(true)
    await statusText(page, WAITING)
    expect(await statusOf(main, started.id)).toBe('pending')
    await page.getByRole('button', { name: 'お届け出電話番号から発信する' }).click()
    await statusText(page, VERIFIED)
    await confirm.click()
    await headingFocused(page, 'done-title')
    expect(await statusOf(main, started.id)).toBe('confirmed')
    expectHttpErrorLogged(errors, 409)
  })

  it('withheld call — verifies nothing: still pending, 確定する still says 認証中（認証着信待ち） (R5)', async () => {
    const page = await openDemo(main)
    const started = await reachScreen4(page, '09012340002')
    const before = (await main.store.getNumber(started.verificationNumber.e164))?.callsToday ?? 0
    await page.getByRole('button', { name: '非通知で発信する' }).click()
    await page.locator('#simulator-note', { hasText: '非通知で発信しました' }).waitFor()
    await expect.poll(async () => (await main.store.getNumber(started.verificationNumber.e164))?.callsToday ?? 0).toBeGreaterThan(before)
    await kit(page).getByRole('button', { name: '確定する' }).click()
    await expect.poll(() => kit(page).getByRole('button', { name: '確定する' }).isEnabled()).toBe(true)
    await statusText(page, WAITING)
    expect(await statusOf(main, started.id)).toBe('pending')
    expectHttpErrorLogged(errors, 409)
  })

  it('中止する — on ④ the element cancels and says API連携認証を中止しました。; the page offers the way back (R10)', async () => {
    const page = await openDemo(main)
    const started = await reachScreen4(page, '09012340003')
    await kit(page).getByRole('button', { name: '中止する' }).click()
    await statusText(page, CANCELLED)
    expect(await statusOf(main, started.id)).toBe('cancelled')
    await page.screenshot({ path: `${SHOTS}cancel.png`, fullPage: true })
    await page.getByRole('button', { name: '最初に戻る' }).click()
    await headingFocused(page, 'entry-title')
    expect(await kit(page).count()).toBe(0)
  })

  it('中止する — on ③ ends before any window opens (R10)', async () => {
    const page = await openDemo(main)
    await phoneField(page).fill('09012340011')
    await page.getByRole('button', { name: '次へ' }).click()
    await page.getByRole('button', { name: '中止する' }).click()
    await headingFocused(page, 'cancelled-title')
    await page.getByRole('button', { name: '連携元画面へ' }).click()
    await headingFocused(page, 'entry-title')
  })

  it('events — the element follows the status over the SSE stream, without long-polling', async () => {
    const page = await openDemo(main)
    const urls: string[] = []
    page.on('request', (request) => urls.push(request.url()))
    const stream = page.waitForResponse((res) => res.url().includes('/events?token='))
    await reachScreen4(page, '09012340010')
    expect((await stream).headers()['content-type']).toMatch(/^text\/event-stream/)
    await page.getByRole('button', { name: 'お届け出電話番号から発信する' }).click()
    await statusText(page, VERIFIED)
    expect(urls.filter((url) => url.includes('waitSeconds='))).toEqual([])
  })

  it('long-poll — without EventSource the demo follows the status all the same', async () => {
    const page = await openDemo(main, { noEventSource: true })
    const started = await reachScreen4(page, '09012340004')
    await page.getByRole('button', { name: 'お届け出電話番号から発信する' }).click()
    await statusText(page, VERIFIED)
    await kit(page).getByRole('button', { name: '確定する' }).click()
    await headingFocused(page, 'done-title')
    expect(await statusOf(main, started.id)).toBe('confirmed')
  })

  it('phone screen — 375×667: nothing overflows sideways, the buttons are large, axe finds nothing serious', async () => {
    const page = await openDemo(main, { viewport: { width: 375, height: 667 } })
    expect((await overflowing(page)).elements).toEqual([])
    await reachScreen4(page, '09012340005', 'phone-screen3.png')
    const fits = await overflowing(page)
    expect(fits.elements).toEqual([])
    expect(fits.scroll).toBeLessThanOrEqual(fits.width)
    for (const button of [kit(page).getByRole('button', { name: '確定する' }), kit(page).getByRole('button', { name: '中止する' }), page.getByRole('button', { name: 'お届け出電話番号から発信する' })]) {
      expect((await button.boundingBox())!.height).toBeGreaterThanOrEqual(44)
    }
    expect(await seriousViolations(page)).toEqual([])
  })
})

describeBrowser('GET /demo in chromium — short window (WINDOW_SECONDS=2)', () => {
  let short: Service
  beforeAll(async () => { short = await startService({ WINDOW_SECONDS: '2' }) })
  afterAll(async () => { await short?.close() })

  it('window — after it ends the element says 120秒が経過しました and the page offers the way back (R3)', async () => {
    const page = await openDemo(short)
    const started = await reachScreen4(page, '09012340006')
    await statusText(page, WINDOW_OVER)
    expect(await statusOf(short, started.id)).toBe('expired')
    await page.screenshot({ path: `${SHOTS}expired.png`, fullPage: true })
    await page.getByRole('button', { name: '最初に戻る' }).click()
    await headingFocused(page, 'entry-title')
    expect(await phoneField(page).inputValue()).toBe('')
  })
})

describeBrowser('GET /demo in chromium — day lock (LOCK_AFTER_FAILURES=1)', () => {
  let strict: Service
  beforeAll(async () => { strict = await startService({ LOCK_AFTER_FAILURES: '1' }) })
  afterAll(async () => { await strict?.close() })

  it('locked — after one cancelled attempt, starting again shows the B84 message (R11)', async () => {
    const page = await openDemo(strict)
    await reachScreen4(page, '09012340007')
    await kit(page).getByRole('button', { name: '中止する' }).click()
    await statusText(page, CANCELLED)
    await page.getByRole('button', { name: '最初に戻る' }).click()
    await phoneField(page).fill('09012340007')
    await page.getByRole('button', { name: '次へ' }).click()
    await page.getByRole('button', { name: '電話番号の決定' }).click()
    await page.locator('#number-error', { hasText: '理由コードはB84です' }).waitFor()
    expect(await page.locator('#number-error').textContent()).toBe(LOCKED_B84)
    await page.screenshot({ path: `${SHOTS}locked.png`, fullPage: true })
    expectHttpErrorLogged(errors, 423)
  })
})

describeBrowser('demo backend', () => {
  it('assets — served with their content types; nothing outside the folder; the page holds no key', async () => {
    const js = await fetch(`${main.url}/demo/assets/app.js`)
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/)
    for (const path of ['..%2Froutes.ts', '..%2F..%2F..%2Fconfig.ts', 'index.html', '%2e%2e/routes.ts', 'missing.js']) {
      expect((await fetch(`${main.url}/demo/assets/${path}`)).status, path).toBe(404)
    }
    const page = await fetch(`${main.url}/demo`)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    const html = await page.text()
    expect(html).toContain('<script type="module" src="/sdk/callverify.js"></script>')
    expect(html).not.toContain(BANK_KEY)
  })

  it('confirm — needs the verification\'s own poll token', async () => {
    const start = async (phoneNumber: string) =>
      (await (await fetch(`${main.url}/demo/api/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phoneNumber }) })).json()) as Started
    const mine = await start('09012340008')
    const theirs = await start('09012340009')
    const confirm = (id: string, token?: string) =>
      fetch(`${main.url}/demo/api/confirm/${id}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: '{}' })
    expect((await confirm(mine.id)).status).toBe(401)
    expect([401, 403, 404]).toContain((await confirm(theirs.id, mine.pollToken)).status)
    const pending = await confirm(mine.id, mine.pollToken)
    expect(pending.status).toBe(409)
    expect(((await pending.json()) as { error: { code: string } }).error.code).toBe('VERIFICATION_PENDING')
    expect(await statusOf(main, theirs.id)).toBe('pending')
  })
})
