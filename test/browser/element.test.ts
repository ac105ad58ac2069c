import { createRequire } from 'node:module'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { PNG } from 'pngjs'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { API_KEY } from '../support/app.js'
import { describeBrowser, launchBrowser, overflowing, screenshotDir, seriousViolations, watchErrors } from '../support/browser.js'
import { signedCall, startService, type Origin, type Service } from '../support/service.js'
import { startBank } from './bank.js'

// <callverify-call> in Debian's chromium on a bank's page served from ANOTHER origin than the
// service: one <script type="module"> from the service, one element. The bank's backend (the
// same second listener) confirms with callverify/client and its API key.

const SHOTS = screenshotDir()
const REGISTERED = '09012345678'
const WAITING = '認証中（認証着信待ち）'
const VERIFIED = '着信を確認しました'
const WINDOW_OVER = '120秒が経過しました。API連携認証の最初に戻って操作してください。'
const CANCELLED = 'API連携認証を中止しました。'
const DESKTOP = { width: 1280, height: 900 }
const PHONE = { width: 375, height: 667 }
// jsqr is CommonJS whose types claim an ES default export: require gives the function itself.
const jsQR = createRequire(import.meta.url)('jsqr') as typeof import('jsqr').default

interface Opened { id: string; pollToken: string; verificationNumber: { e164: string; display: string; telUri: string } }
interface Seen { type: string; status: string; id: string }
interface Traffic { requests: string[]; responses: { url: string; status: number; headers: Record<string, string> }[] }
const traffic = new WeakMap<Page, Traffic>()

let browser: Browser
let service: Service
let bank: Origin
const contexts: BrowserContext[] = []
const errors: string[] = []

beforeAll(async () => {
  browser = await launchBrowser()
  service = await startService()
  bank = await startBank(service)
})

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()))
  expect(errors.splice(0)).toEqual([])
})

afterAll(async () => {
  await browser?.close()
  await bank?.close()
  await service?.close()
})

async function open(on: Service, phoneNumber = REGISTERED): Promise<Opened> {
  const res = await fetch(`${on.url}/v1/verifications`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ phoneNumber }),
  })
  expect(res.status).toBe(201)
  return (await res.json()) as Opened
}

async function bankPage(at: Origin, v: Opened | undefined, options: { viewport?: { width: number; height: number }; lang?: string; error?: string; noEventSource?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: options.viewport ?? DESKTOP, locale: 'ja-JP' })
  contexts.push(context)
  context.setDefaultTimeout(8000)
  if (options.noEventSource) await context.addInitScript('delete window.EventSource')
  const page = await context.newPage()
  watchErrors(page, errors)
  const seenByPage: Traffic = { requests: [], responses: [] }
  traffic.set(page, seenByPage)
  page.on('request', (req) => seenByPage.requests.push(`${req.method()} ${req.url()}`))
  page.on('response', (res) => seenByPage.responses.push({ url: res.url(), status: res.status(), headers: res.headers() }))
  const query = new URLSearchParams({ id: v?.id ?? '', token: v?.pollToken ?? '', lang: options.lang ?? '', error: options.error ?? '' })
  await page.goto(`${at.url}/?${query}`)
  if (v) await page.getByRole('link', { name: new RegExp(v.verificationNumber.display) }).waitFor()
  return page
}

const element = (page: Page) => page.locator('callverify-call')
const statusText = (page: Page, text: string) => element(page).getByRole('status').filter({ hasText: text }).waitFor()
const seen = (page: Page) => page.evaluate(() => (window as unknown as { seen: Seen[] }).seen)
async function statusOf(on: Service, id: string) {
  return (await on.store.getVerification(id))?.verification.status
}

/** The QR code as the camera of the phone in hand would see it: rasterised by chromium, decoded by jsQR. */
async function decodeQr(page: Page): Promise<string | undefined> {
  const png = PNG.sync.read(await element(page).getByRole('img', { name: /QR/ }).screenshot())
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data
}

describeBrowser('<callverify-call> on a bank page of another origin, in chromium', () => {
  it('desktop — masked number, the number large with its tel: link, the notes, the countdown and a QR code of the tel: URI', async () => {
    const v = await open(service)
    const page = await bankPage(bank, v)
    const el = element(page)
    await expect.poll(() => el.locator('[part="masked"]').textContent()).toBe('*******5678')
    const dial = el.getByRole('link', { name: /認証先電話番号/ })
    expect(await dial.getAttribute('href')).toBe(v.verificationNumber.telUri)
    expect(await dial.textContent()).toBe(v.verificationNumber.display)
    const fontSize = await dial.evaluate((a) => parseFloat(getComputedStyle(a).fontSize))
    expect(fontSize).toBeGreaterThanOrEqual(28)
    const notes = (await el.locator('[part="notes"]').textContent()) ?? ''
    for (const words of ['120秒以内', '非通知', '186', '再度お電話ください', '2〜3コール後、自動で電話が切れ', '通話料金は発生しません']) expect(notes).toContain(words)
    const remaining = Number(/残り (\d+) 秒/.exec((await el.getByRole('timer').textContent()) ?? '')?.[1])
    expect(remaining).toBeGreaterThan(100)
    expect(remaining).toBeLessThanOrEqual(120)
    await statusText(page, WAITING)

    const qr = el.getByRole('img', { name: '認証先電話番号 ' + v.verificationNumber.display + ' に電話をかけるためのQRコード' })
    expect(await qr.isVisible()).toBe(true)
    expect(await decodeQr(page)).toBe(v.verificationNumber.telUri)
    expect(await el.getByRole('link', { name: 'タップして電話をかける' }).count()).toBe(0)
    expect(await seriousViolations(page)).toEqual([])
    await page.evaluate(() => document.fonts.ready)
    await el.screenshot({ path: `${SHOTS}element-desktop.png` })
  })

  it('live — a signed call turns it verified (callverify:verified), 確定する confirms through the bank backend (callverify:confirmed)', async () => {
    const v = await open(service, '09012340101')
    const page = await bankPage(bank, v)
    // The stream runs cross-origin: the service answered it with CORS. The element opens it once
    // it has shown the number, so its answer may come just after the page is ready: wait for it.
    const stream = () => traffic.get(page)!.responses.find((res) => res.url.includes('/events?token='))
    await expect.poll(() => stream()?.status, { timeout: 8000 }).toBe(200)
    expect(stream()?.headers['access-control-allow-origin']).toBe('*')
    expect(await signedCall(service, '+819012340101', v.verificationNumber.e164)).toBe(200)
    await statusText(page, VERIFIED)
    expect(await seen(page)).toEqual([{ type: 'verified', status: 'verified', id: v.id }])
    expect(traffic.get(page)!.requests.filter((r) => r.includes('waitSeconds='))).toEqual([])

    await element(page).getByRole('button', { name: '確定する' }).click()
    await statusText(page, '電話発信による認証が完了しました。')
    expect(await statusOf(service, v.id)).toBe('confirmed')
    expect((await seen(page)).map((e) => `${e.type}:${e.status}`)).toEqual(['verified:verified', 'confirm:verified', 'confirmed:confirmed'])
    // A terminal status: no buttons, no QR, and the stream is closed.
    expect(await element(page).getByRole('button').count()).toBe(0)
    expect(await element(page).getByRole('img', { name: /QR/ }).count()).toBe(0)
    expect(await seriousViolations(page)).toEqual([])
  })

  it('確定する — before the call says 認証中（認証着信待ち）, stays usable, and the verification stays pending (R9)', async () => {
    const v = await open(service, '09012340102')
    const page = await bankPage(bank, v)
    const confirm = element(page).getByRole('button', { name: '確定する' })
    await confirm.focus()
    await page.keyboard.press('Enter')
    await expect.poll(async () => (await seen(page)).map((e) => e.type)).toEqual(['confirm'])
    await statusText(page, WAITING)
    await expect.poll(() => confirm.isEnabled()).toBe(true)
    expect(await statusOf(service, v.id)).toBe('pending')
  })

  it('中止する — cancels with the poll token, says API連携認証を中止しました。 and fires callverify:cancelled (R10)', async () => {
    const v = await open(service, '09012340103')
    const page = await bankPage(bank, v)
    const cancel = page.waitForRequest((req) => req.url().endsWith(`/v1/verifications/${v.id}/cancel`) && req.method() === 'POST')
    await element(page).getByRole('button', { name: '中止する' }).click()
    expect((await cancel).headers().authorization).toBe(`Bearer ${v.pollToken}`)
    await statusText(page, CANCELLED)
    expect(await statusOf(service, v.id)).toBe('cancelled')
    expect(await seen(page)).toEqual([{ type: 'cancelled', status: 'cancelled', id: v.id }])
  })

  it('phone 375×667 — the tap-to-call link, no QR code, nothing overflows, large touch targets', async () => {
    const v = await open(service, '09012340104')
    const page = await bankPage(bank, v, { viewport: PHONE })
    const el = element(page)
    const call = el.getByRole('link', { name: 'タップして電話をかける' })
    expect(await call.getAttribute('href')).toBe(v.verificationNumber.telUri)
    expect(await el.getByRole('img', { name: /QR/ }).count()).toBe(0)
    for (const target of [call, el.getByRole('link', { name: /認証先電話番号/ }), el.getByRole('button', { name: '確定する' }), el.getByRole('button', { name: '中止する' })]) {
      expect((await target.boundingBox())!.height).toBeGreaterThanOrEqual(44)
    }
    const fits = await overflowing(page)
    expect(fits.elements).toEqual([])
    expect(fits.scroll).toBeLessThanOrEqual(fits.width)
    expect(await seriousViolations(page)).toEqual([])
    await page.evaluate(() => document.fonts.ready)
    await page.screenshot({ path: `${SHOTS}element-phone.png`, fullPage: true })
    await page.setViewportSize({ width: 320, height: 640 })
    expect((await overflowing(page)).elements).toEqual([])
  })

  it('English — lang="en" says every word in English', async () => {
    const v = await open(service, '09012340105')
    const page = await bankPage(bank, v, { lang: 'en' })
    const el = element(page)
    await statusText(page, 'Waiting for your call')
    expect(await el.getByRole('heading', { name: 'Verify your phone number' }).count()).toBe(1)
    expect(await el.getByRole('button', { name: 'Confirm' }).count()).toBe(1)
    expect(await el.getByRole('button', { name: 'Cancel' }).count()).toBe(1)
    expect(await el.getByRole('img', { name: `QR code to call the verification number ${v.verificationNumber.display}` }).count()).toBe(1)
    expect(await el.getByRole('timer').textContent()).toMatch(/^\d+ s left$/)
    expect(await el.locator('[part="notes"]').textContent()).toContain('186')
    expect(await el.textContent()).not.toMatch(/[\u3040-\u30ff]/)
  })

  it('errors — every error the page hands it (error-code) shows the seed\'s message, ja and en', async () => {
    const cases: [string, string, string][] = [
      ['LOCKED', 'ただ今お取扱いできません。詳しくは本サービスのお問合せ窓口へご照会下さい。理由コードはB84です。', 'Reason code: B84'],
      ['OUT_OF_SERVICE_HOURS', 'ただ今の時間はサービスを行っていません。ご了承ください。', 'not available at this hour'],
      ['CONGESTED', 'ただ今受付が混雑しておりますので、しばらくしてからご利用下さい。', 'very busy'],
      ['STORE_UNAVAILABLE', '調整のため連絡ができなくなりました。', 'cannot reach the service'],
      ['POOL_EXHAUSTED', 'ご指定のサービスはただ今お取扱できません。', 'not available right now'],
    ]
    const page = await bankPage(bank, undefined, { error: 'LOCKED' })
    // The element follows its attributes: one page, each code and language in turn.
    for (const [code, ja, en] of cases) {
      for (const [lang, text] of [['ja', ja], ['en', en]] as const) {
        await element(page).evaluate((el, [c, l]) => { el.setAttribute('error-code', c!); el.setAttribute('lang', l!) }, [code, lang])
        await element(page).getByRole('alert').filter({ hasText: text }).waitFor()
        expect(await element(page).getByRole('button').count()).toBe(0)
      }
    }
  })

  it('long-poll — without EventSource it follows the status all the same', async () => {
    const v = await open(service, '09012340106')
    const page = await bankPage(bank, v, { noEventSource: true })
    await expect.poll(() => traffic.get(page)!.requests.some((r) => r.includes('waitSeconds='))).toBe(true)
    expect(await signedCall(service, '+819012340106', v.verificationNumber.e164)).toBe(200)
    await statusText(page, VERIFIED)
    expect((await seen(page)).map((e) => e.type)).toEqual(['verified'])
  })

  it('reconnect — a change made while the stream was cut arrives when it is back', async () => {
    const v = await open(service, '09012340107')
    const page = await bankPage(bank, v)
    await statusText(page, WAITING)
    const again = page.waitForRequest((req) => req.url().includes('/events?token=') || req.url().includes('waitSeconds='))
    // Every connection to the service drops (a restart, a proxy timing out); the call lands meanwhile.
    service.app.server.closeAllConnections()
    // This process's own pooled connection was cut too: the carrier would simply post again.
    const call = () => signedCall(service, '+819012340107', v.verificationNumber.e164)
    expect(await call().catch(call)).toBe(200)
    await again
    await statusText(page, VERIFIED)
    expect((await seen(page)).map((e) => e.type)).toEqual(['verified'])
    // The one console line a cut stream leaves, which no page can prevent.
    const cut = errors.findIndex((e) => e.includes('ERR_INCOMPLETE_CHUNKED_ENCODING'))
    if (cut >= 0) errors.splice(cut, 1)
  })
})

describeBrowser('<callverify-call> — short window (WINDOW_SECONDS=2)', () => {
  let short: Service
  let shortBank: Origin
  beforeAll(async () => {
    short = await startService({ WINDOW_SECONDS: '2', EXPIRY_SWEEP_MS: '200' })
    shortBank = await startBank(short)
  })
  afterAll(async () => {
    await shortBank?.close()
    await short?.close()
  })

  it('expired — at the window\'s end it says 120秒が経過しました and fires callverify:expired (R3)', async () => {
    const v = await open(short, '09012340108')
    const page = await bankPage(shortBank, v)
    await statusText(page, WINDOW_OVER)
    expect(await statusOf(short, v.id)).toBe('expired')
    expect(await seen(page)).toEqual([{ type: 'expired', status: 'expired', id: v.id }])
    expect(await element(page).getByRole('button').count()).toBe(0)
    await element(page).screenshot({ path: `${SHOTS}element-expired.png` })
  })
})
