import { createServer, type Server } from 'node:http'
import type { Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { describeBrowser } from '../support/browser.js'
import { freePort } from '../support/global-setup.js'
import { POOL, SHOTS, consoleSuite, signIn, status } from './console-service.js'

// GET /admin/console in Debian's chromium against the real service on a real listener:
// sign-in and sign-out, the pool's actions (FORCE_REQUIRED as a second step), sync (dry run,
// then apply, against the local fake of Twilio), and the CSRF rules seen from a browser.

const [N1, N2, N3] = POOL as [string, string, string]

describeBrowser('GET /admin/console in chromium — sign-in, pool, sync, CSRF', { timeout: 60_000 }, () => {
  const suite = consoleSuite()
  const row = (page: Page, e164: string) => page.locator(`#pool-table tr[data-e164="${e164}"]`)

  it('sign-in — a wrong token signs nobody in: the error shows, no cookie, the console stays hidden', async () => {
    const { page, context } = await suite.open()
    await page.getByLabel('管理トークン').fill('not-an-admin-token')
    await page.getByRole('button', { name: 'ログイン', exact: true }).click()
    await status(page, 'UNAUTHORIZED')
    expect(await page.locator('#console').isHidden()).toBe(true)
    expect(await context.cookies()).toEqual([])
    expect(await page.getByLabel('管理トークン').inputValue()).toBe('')
  })

  it('sign-in and sign-out — the admin name in the header, an HttpOnly Strict cookie on /admin; sign-out ends the session', async () => {
    const { page, context } = await suite.open()
    await signIn(page)
    expect(await page.locator('#admin-name').textContent()).toBe('ログイン中: alice')
    const [cookie] = await context.cookies()
    expect(cookie).toMatchObject({ name: 'callverify_admin', path: '/admin', httpOnly: true, sameSite: 'Strict', secure: false })
    expect(await page.evaluate(() => document.cookie)).toBe('')
    expect(await page.locator('#pool-table tbody tr').count()).toBe(POOL.length)
    await page.screenshot({ path: `${SHOTS}console-pool.png`, fullPage: true })

    // A reload on the live session goes straight back to the console.
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    expect(await page.locator('#console').isVisible()).toBe(true)

    await page.getByRole('button', { name: 'ログアウト' }).click()
    await status(page, 'ログアウトしました。')
    expect(await page.locator('#console').isHidden()).toBe(true)
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token')
    expect(await context.cookies()).toEqual([])
    const replay = await suite.service.app.inject({ url: '/admin/numbers', headers: { cookie: `${cookie!.name}=${cookie!.value}` } })
    expect(replay.statusCode).toBe(401)
    expect((await suite.service.store.listAudit(5)).map((e) => e.action)).toContain('session.close')
  })

  it('pool — add, weight and label, drain, quarantine, reactivate, retire: each round-trips and the table shows it', async () => {
    const { page } = await suite.open()
    await signIn(page)
    await page.getByLabel('番号（E.164、例 +81120000004）').fill('+81120000009')
    await page.getByLabel('重み（0〜1000）').first().fill('3')
    await page.locator('#add-label').fill('新規')
    await page.getByRole('button', { name: '追加する' }).click()
    await status(page, '0120-000-009 を追加しました。')
    await row(page, '+81120000009').waitFor()
    expect(await suite.service.store.getNumber('+81120000009')).toMatchObject({ state: 'active', weight: 3, label: '新規' })

    await row(page, N2).getByRole('button', { name: /を変更/ }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel('重み（0〜1000）').fill('5')
    await dialog.getByLabel('ラベル').fill('東京')
    await dialog.getByRole('button', { name: '重みとラベルを保存' }).click()
    await status(page, '0120-000-002 を保存しました。')
    expect(await suite.service.store.getNumber(N2)).toMatchObject({ weight: 5, label: '東京' })
    expect(await row(page, N2).textContent()).toContain('東京')
    // Focus goes back to the row's button that opened the dialog.
    expect(await page.evaluate(() => document.activeElement?.closest('tr')?.dataset.e164)).toBe(N2)

    for (const [action, state, shown] of [['停止準備（割当をやめる）', 'draining', '停止準備中'], ['隔離する', 'quarantined', '隔離中'], ['稼働に戻す', 'active', '稼働中'], ['廃止する', 'retired', '廃止']] as const) {
      await row(page, N2).getByRole('button', { name: /を変更/ }).click()
      await page.getByRole('dialog').getByRole('button', { name: action }).click()
      await status(page, `0120-000-002: ${shown} にしました。`)
      expect((await suite.service.store.getNumber(N2))!.state).toBe(state)
      expect(await row(page, N2).locator('td').nth(1).textContent()).toBe(shown)
    }
  })

  it('pool — FORCE_REQUIRED is a second, explicit step: nothing changes until it is pressed', async () => {
    const { page } = await suite.open()
    await signIn(page)
    // Leave N1 the only allocatable number, then try to drain it.
    for (const e164 of [N2, N3, '+81120000009']) {
      const n = await suite.service.store.getNumber(e164)
      if (n && n.state === 'active') await suite.service.store.updateNumber(e164, { state: 'draining' })
    }
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    await row(page, N1).getByRole('button', { name: /を変更/ }).click()
    await page.getByRole('dialog').getByRole('button', { name: '停止準備（割当をやめる）' }).click()
    const confirm = page.getByRole('button', { name: 'それでも実行する（force）' })
    await confirm.waitFor()
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('force-title')
    expect(await page.locator('#force-message').textContent()).not.toBe('')
    expect((await suite.service.store.getNumber(N1))!.state).toBe('active')
    await page.screenshot({ path: `${SHOTS}console-force.png` })
    await confirm.click()
    await status(page, '0120-000-001: 停止準備中 にしました。')
    expect((await suite.service.store.getNumber(N1))!.state).toBe('draining')
    for (const e164 of [N1, N3]) await suite.service.store.updateNumber(e164, { state: 'active' })
  })

  it('sync — the dry run reports and changes nothing; apply changes what it reported', async () => {
    const { page } = await suite.open()
    await signIn(page)
    await page.getByRole('button', { name: '変更内容を確認する（dry run）' }).click()
    await status(page, '確認のみ')
    const report = page.locator('#sync-report')
    expect(await report.textContent()).toContain(`${N1}: voiceUrl https://old.example.com/voice → ${suite.service.url}/webhooks/twilio/voice`)
    expect(await report.textContent()).toContain('+815000000001')
    expect(suite.service.twilio.requests.filter((r) => r.method === 'POST')).toEqual([])
    expect(suite.service.twilio.numbers[0]!.voiceUrl).toBe('https://old.example.com/voice')
    await page.getByRole('button', { name: 'この内容を適用する' }).click()
    await status(page, '同期しました')
    expect(suite.service.twilio.numbers[0]!.voiceUrl).toBe(`${suite.service.url}/webhooks/twilio/voice`)
    expect(await page.getByRole('button', { name: 'この内容を適用する' }).isHidden()).toBe(true)
    expect((await suite.service.store.listAudit(5)).some((e) => e.action === 'numbers.sync' && e.actor === 'alice')).toBe(true)
  })

  it('CSRF — from the signed-in page, a change without the X-CSRF-Token header is refused (403) and changes nothing', async () => {
    const { page } = await suite.open()
    await signIn(page)
    const statusCode = await page.evaluate(async (path) => {
      const res = await fetch(path, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ weight: 9 }) })
      return res.status
    }, `/admin/numbers/${encodeURIComponent(N1)}`)
    expect(statusCode).toBe(403)
    expect((await suite.service.store.getNumber(N1))!.weight).not.toBe(9)
  })

  it('CSRF — a form on another origin that POSTs to /admin is refused while the operator is signed in', async () => {
    const { page, context } = await suite.open()
    await signIn(page)
    const port = await freePort()
    const start = new Date(Date.now() + 3_600_000).toISOString()
    const end = new Date(Date.now() + 7_200_000).toISOString()
    const evil: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html')
      res.end(`<form id="f" method="POST" action="${suite.service.url}/admin/maintenance">
        <input name="startsAt" value="${start}"><input name="endsAt" value="${end}"><input name="note" value="forged"></form>
        <script>document.getElementById('f').submit()</script>`)
    })
    await new Promise<void>((done) => evil.listen(port, 'localhost', done))
    try {
      const other = await context.newPage()
            const answered = other.waitForResponse((res) => res.url() === `${suite.service.url}/admin/maintenance`)
      await other.goto(`http://localhost:${port}/`)
      const res = await answered
      expect([401, 403]).toContain(res.status())
      expect(await suite.service.store.listMaintenance()).toEqual([])
    } finally {
      await new Promise((done) => evil.close(done))
    }
  })
})
