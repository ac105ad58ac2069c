import { expect, it } from 'vitest'
import { describeBrowser, seriousViolations } from '../support/browser.js'
import { POOL, SHOTS, consoleSuite, pageContent, signIn, status } from './console-service.js'

// GET /admin/console in Debian's chromium: helping a locked customer (R11) with the number
// masked everywhere (R1), the 24-hour chart and the numbers that need an operator, maintenance
// in Japan time, the audit log's filters and pages, the keyboard, axe-core at 1280 and 768 px.

const [N1, , N3] = POOL as [string, string, string]
const PHONE = '09012345678'
const API = { authorization: 'Bearer dev-api-key' }
let sids = 0
const callSid = () => `CA${String(++sids).padStart(32, '0')}`

describeBrowser('GET /admin/console in chromium — customers, chart, maintenance, audit, accessibility', { timeout: 60_000 }, () => {
  const suite = consoleSuite()
  const create = () => suite.service.app.inject({ method: 'POST', url: '/v1/verifications', headers: API, payload: { phoneNumber: PHONE } })

  it('help a customer — locked today, until when, failures, all masked (R1); lifting with a reason is audited; the number nowhere on the page', async () => {
    await create()
    const second = (await create()).json()
    await suite.service.app.inject({ method: 'POST', url: `/v1/verifications/${second.id}/cancel`, headers: API })
    expect((await create()).statusCode).toBe(423)

    const { page } = await suite.open()
    await signIn(page)
    await page.getByLabel('お届け出電話番号（10〜11桁）').fill(PHONE)
    await page.getByLabel('テナント').selectOption('demo')
    await page.getByRole('button', { name: '確認する', exact: true }).click()
    const result = page.locator('#lock-result')
    await result.getByText('本日ロック中です').waitFor()
    expect(await result.textContent()).toContain('*******5678（demo）')
    expect(await result.textContent()).toMatch(/\d{4}\/\d{2}\/\d{2} 00:00 まで/)
    expect(await result.textContent()).toContain('本日の失敗回数: 2')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('lock-result')
    const digits = ['12345678', '9012345678', '+8190', '090-1234']
    for (const d of digits) expect(await pageContent(page)).not.toContain(d)
    await page.locator('#help').screenshot({ path: `${SHOTS}console-help.png` })

    await page.getByLabel('ロックを解除する理由（監査ログに記録されます）').fill('本人確認のうえ電話で依頼')
    await page.getByRole('button', { name: 'ロックを解除する' }).click()
    await status(page, '*******5678 のロックを解除しました。')
    expect(await result.textContent()).toContain('ロックされていません。')
    expect((await suite.service.store.getLock('demo', '+819012345678')).lockedUntil).toBeUndefined()
    expect((await suite.service.store.listAudit(1))[0]).toMatchObject({ actor: 'alice', action: 'locks.clear', target: 'demo:*******5678', reason: '本人確認のうえ電話で依頼' })
    await page.locator('#audit-table tbody tr', { hasText: '本人確認のうえ電話で依頼' }).waitFor()
    for (const d of digits) expect(await pageContent(page)).not.toContain(d)
    expect((await create()).statusCode).toBe(201)
  })

  it('at a glance — the chart shows a number\'s calls and verified calls this hour; an answered number is highlighted with what to do', async () => {
    const created = (await create()).json()
    const to = created.verificationNumber.e164 as string
    expect((await suite.service.store.recordCall({ callSid: callSid(), from: '+819012345678', to })).outcome).toBe('verified')
    await suite.service.store.recordCall({ callSid: callSid(), from: '+818011112222', to })
    await suite.service.store.recordCallStatus({ callSid: callSid(), to: N3, status: 'completed', durationSeconds: 4 })

    const { page } = await suite.open()
    await signIn(page)
    const card = page.locator(`#charts li[data-e164="${to}"]`)
    const chart = card.getByRole('img')
    expect(await chart.getAttribute('aria-label')).toMatch(/24時間の着信 [2-9]\d* 件、うち認証 [1-9]\d* 件/)
    // One bar, this hour's (the last), or the one before if an hour began in between.
    expect(await card.locator('rect.calls').count()).toBe(1)
    const hour = await card.locator('rect.calls').getAttribute('data-hour')
    expect(['23', '22']).toContain(hour)
    expect(await card.locator(`rect.verified[data-hour="${hour}"]`).count()).toBe(1)
    const height = (selector: string) => card.locator(selector).evaluate((r) => Number(r.getAttribute('height')))
    expect(await height('rect.calls')).toBeGreaterThan(await height('rect.verified'))
    expect(await page.locator('#charts li[data-e164="+81120000003"]').getAttribute('class')).toContain('health-answered')
    expect(await page.locator('#advice').textContent()).toContain('0120-000-003 で着信に応答してしまいました')
    expect(await page.locator('#pool-table tr[data-e164="+81120000003"]').getAttribute('class')).toContain('health-answered')
    await page.locator('#glance').screenshot({ path: `${SHOTS}console-glance.png` })
    await suite.service.store.updateNumber(N3, { state: 'active', health: 'ok' })
  })

  it('maintenance — announced in Japan time (sent as ISO), listed in Japan time, withdrawn', async () => {
    const { page } = await suite.open()
    await signIn(page)
    const japan = (ms: number) => new Date(ms + 9 * 3_600_000).toISOString().slice(0, 16)
    const startLocal = japan(Date.now() + 86_400_000)
    const endLocal = japan(Date.now() + 86_400_000 + 2 * 3_600_000)
    await page.getByLabel('開始（日本時間）').fill(startLocal)
    await page.getByLabel('終了（日本時間）').fill(endLocal)
    await page.getByLabel('内容').fill('回線工事')
    await page.getByRole('button', { name: '告知する' }).click()
    const shown = startLocal.replace(/-/g, '/').replace('T', ' ')
    await status(page, `メンテナンスを告知しました: ${shown}`)
    const [window] = await suite.service.store.listMaintenance()
    expect(window).toMatchObject({ startsAt: Date.parse(`${startLocal}:00+09:00`), endsAt: Date.parse(`${endLocal}:00+09:00`), note: '回線工事', createdBy: 'alice' })
    const row = page.locator('#maintenance-table tbody tr', { hasText: '回線工事' })
    expect(await row.textContent()).toContain(shown)
    await row.getByRole('button', { name: `${shown} のメンテナンスを取り下げる` }).click()
    await status(page, 'メンテナンスを取り下げました。')
    expect(await suite.service.store.listMaintenance()).toEqual([])
    await page.locator('#maintenance-table tbody', { hasText: '予定されたメンテナンスはありません。' }).waitFor()
  })

  it('audit — newest first, filtered by operator and by number, paged', async () => {
    for (let i = 0; i < 25; i++) await suite.service.store.appendAudit({ at: Date.now() + i, actor: 'bob', action: 'numbers.update', target: N1, after: { weight: i } })
    const { page } = await suite.open()
    await signIn(page)
    await page.getByLabel('操作者').fill('bob')
    await page.getByLabel('番号', { exact: true }).fill('0120-000-001')
    await page.getByRole('button', { name: '絞り込む' }).click()
    const pageText = page.locator('#audit-page')
    await pageText.getByText('25 件中 1〜20 件目').waitFor()
    const rows = page.locator('#audit-table tbody tr')
    expect(await rows.count()).toBe(20)
    expect(await rows.first().textContent()).toContain('{"weight":24}')
    await page.getByRole('button', { name: '古い方へ' }).click()
    await pageText.getByText('25 件中 21〜25 件目').waitFor()
    expect(await rows.count()).toBe(5)
    expect(await rows.last().textContent()).toContain('{"weight":0}')
    expect(await page.getByRole('button', { name: '古い方へ' }).isDisabled()).toBe(true)
    // Focus stays on the pager when the button pressed is disabled at the end.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('audit-newer')
    await page.getByLabel('操作者').fill('nobody')
    await page.getByRole('button', { name: '絞り込む' }).click()
    await page.locator('#audit-table tbody', { hasText: '該当する記録はありません。' }).waitFor()
  })

  it('keyboard and language — sign in, open and close the change dialog by keyboard; English throughout', async () => {
    const { page } = await suite.open()
    for (let i = 0; i < 6 && (await page.evaluate(() => document.activeElement?.id)) !== 'token'; i++) await page.keyboard.press('Tab')
    await page.keyboard.type('console-test-admin-token')
    await page.keyboard.press('Enter')
    await page.locator('#pool-table tbody tr').first().waitFor()
    await page.locator(`#pool-table tr[data-e164="${N1}"] button`).focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('edit-title')
    await page.keyboard.press('Escape')
    await expect.poll(() => page.evaluate(() => document.activeElement?.closest('tr')?.dataset.e164)).toBe(N1)

    await page.getByRole('button', { name: 'English' }).click()
    await page.getByRole('heading', { name: 'Verification number pool' }).waitFor()
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en')
    expect(await page.locator('#admin-name').textContent()).toBe('Signed in: alice')
    expect(await page.locator(`#pool-table tr[data-e164="${N1}"] button`).textContent()).toBe('Change 0120-000-001')
    await page.screenshot({ path: `${SHOTS}console-en.png`, fullPage: true })
    await page.getByRole('button', { name: '日本語' }).click()
    await page.getByRole('heading', { name: '認証番号プール' }).waitFor()
  })

  it('axe-core — no serious or critical violations signed out, signed in at 1280 px, and at 768 px where nothing overflows the page', async () => {
    const { page } = await suite.open()
    expect(await seriousViolations(page)).toEqual([])
    await signIn(page)
    await page.getByLabel('お届け出電話番号（10〜11桁）').fill('08011112222')
    await page.getByRole('button', { name: '確認する', exact: true }).click()
    await page.locator('#lock-result').getByText('ロックされていません。').waitFor()
    expect(await seriousViolations(page)).toEqual([])

    const { page: narrow } = await suite.open({ width: 768, height: 1024 })
    await signIn(narrow)
    expect(await narrow.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
    // The wide pool table scrolls inside its own region, which the keyboard can reach.
    expect(await narrow.locator('#pool .scroll').getAttribute('tabindex')).toBe('0')
    expect(await seriousViolations(narrow)).toEqual([])
    await narrow.screenshot({ path: `${SHOTS}console-768.png`, fullPage: true })
    // The check itself sees a field without a label (so an empty list above means something).
    await narrow.evaluate(() => document.querySelector('#help')!.append(document.createElement('input')))
    expect(await seriousViolations(narrow)).toContainEqual(expect.objectContaining({ id: 'label', impact: 'critical' }))
  })
})
