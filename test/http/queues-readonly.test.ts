import { afterEach, describe, expect, it, vi } from 'vitest'
import { ADMIN_TOKEN, API_KEY, bearer, buildTestApp, type TestApp } from '../support/app.js'

// Issue 14 items 4 and 9: on the queues dashboard the callbacks queue is read-only but for a
// retry (a job the service signs with a bank's key can be neither added nor edited there), what
// the board did or was refused is audited, and a callback job shows its event id, no URL.

const SECRET_URL = 'http://127.0.0.1:9/hook/secret-path?token=s3cr3t'
let sid = 0

describe('/admin/queues — the callbacks queue', () => {
  let t: TestApp | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  /** A verification whose verified callback failed for good (nothing listens on port 9). */
  async function failedCallback(app: TestApp): Promise<string> {
    const v = (await app.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09012345678', callbackUrl: SECRET_URL } })).json()
    await app.store.recordCall({ callSid: `CA${String(++sid).padStart(32, '0')}`, from: '+819012345678', to: v.verificationNumber.e164 })
    const jobId = `${v.id}.verified`
    await vi.waitFor(async () => {
      const res = await app.app.inject({ url: `/admin/queues/api/queues/callbacks/${jobId}`, headers: bearer(ADMIN_TOKEN) })
      expect(res.json().status).toBe('failed')
    }, { timeout: 5000, interval: 50 })
    return jobId
  }

  const board = (method: 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown) =>
    t!.app.inject({ method, url: `/admin/queues/api/queues${url}`, headers: bearer(ADMIN_TOKEN), ...(payload ? { payload } : {}) })

  it('dashboard — add, update-data, promote, clean, remove, pause and pause-all are refused (403) and audited; the job is unchanged', async () => {
    t = await buildTestApp('redis', { env: { CALLBACK_ATTEMPTS: '1' } })
    const jobId = await failedCallback(t)
    const forged = { name: 'verification.verified', data: { url: 'https://attacker.example/', body: '{"forged":true}' } }
    for (const [method, url, payload] of [
      ['POST', '/callbacks/add', forged],
      ['PATCH', `/callbacks/${jobId}/update-data`, { data: forged.data }],
      ['PUT', `/callbacks/${jobId}/promote`],
      ['PUT', `/callbacks/${jobId}/clean`],
      ['PUT', '/callbacks/clean/failed'],
      ['PUT', '/callbacks/promote'],
      ['PUT', '/callbacks/empty'],
      ['PUT', '/callbacks/pause'],
      ['PUT', '/pause'],
    ] as const) {
      const res = await board(method, url, payload)
      expect(res.statusCode, `${method} ${url}`).toBe(403)
      expect(res.json().error.code).toBe('FORBIDDEN')
    }
    const job = (await t.app.inject({ url: `/admin/queues/api/queues/callbacks/${jobId}`, headers: bearer(ADMIN_TOKEN) })).json()
    expect(job.status).toBe('failed')
    expect(JSON.stringify(job)).not.toContain('attacker')
    const queue = (await t.app.inject({ url: '/admin/queues/api/queues', headers: bearer(ADMIN_TOKEN) })).json().queues.find((q: { name: string }) => q.name === 'callbacks')
    expect(queue.counts).toMatchObject({ failed: 1, waiting: 0, delayed: 0, active: 0 })
    expect(queue.isPaused).toBe(false)
    const audit = await t.store.listAudit(20)
    expect(audit.filter((e) => e.action === 'queues.refused')).toHaveLength(9)
    expect(audit[0]).toMatchObject({ actor: 'alice', action: 'queues.refused', target: '/admin/queues/api/queues/pause' })
    expect(audit).toContainEqual(expect.objectContaining({ action: 'queues.refused', target: '/admin/queues/api/queues/:queueName/add', after: { queueName: 'callbacks' } }))
  })

  it('dashboard — a failed callback may be retried (as the service made it), and the retry is audited', async () => {
    t = await buildTestApp('redis', { env: { CALLBACK_ATTEMPTS: '1' } })
    const jobId = await failedCallback(t)
    const res = await board('PUT', `/callbacks/${jobId}/retry`)
    expect(res.statusCode, res.body).toBeLessThan(300)
    const [entry] = await t.store.listAudit(1)
    expect(entry).toMatchObject({ actor: 'alice', action: 'queues.put', target: '/admin/queues/api/queues/:queueName/:jobId/retry', after: { queueName: 'callbacks', jobId } })
    // The other queues stay the operators' to manage.
    expect((await board('PUT', '/health/pause')).statusCode).toBe(200)
  })

  it('dashboard — a callback job holds its event id only: no URL, path or query to show', async () => {
    t = await buildTestApp('redis', { env: { CALLBACK_ATTEMPTS: '1' } })
    const jobId = await failedCallback(t)
    const detail = await t.app.inject({ url: `/admin/queues/api/queues/callbacks/${jobId}`, headers: bearer(ADMIN_TOKEN) })
    // Delivery derives the target and body from the store's event (jobs/callbacks.ts): the job names the event.
    expect(detail.json().job.data).toEqual({ eventId: jobId })
    const list = await t.app.inject({ url: '/admin/queues/api/queues?activeQueue=callbacks&status=failed', headers: bearer(ADMIN_TOKEN) })
    expect(list.statusCode).toBe(200)
    for (const body of [detail.body, list.body]) {
      expect(body).not.toContain('secret-path')
      expect(body).not.toContain('s3cr3t')
    }
  })
})
