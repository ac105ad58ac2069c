import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { loggerOptions } from '../../src/logging.js'
import { API_KEY, bearer, buildTestApp, type TestApp } from '../support/app.js'

// The request line (app.ts onResponse): at info only a refused or failed request gets one; at
// debug every request does. Both carry the route pattern, never the raw URL.

interface Line { msg: string; level: number; route?: string; status?: number; url?: string }

function captured(): { lines: Line[]; stream: Writable } {
  const lines: Line[] = []
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Line); done() } })
  return { lines, stream }
}

describe('request lines', () => {
  let t: TestApp | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  async function requests(level: string): Promise<Line[]> {
    const log = captured()
    t = await buildTestApp('memory', { deps: { logger: { ...(loggerOptions(level) as object), stream: log.stream } } })
    const created = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09012345678' } })
    expect(created.statusCode).toBe(201)
    const missing = await t.app.inject({ method: 'GET', url: '/v1/verifications/vf_missing', headers: bearer(API_KEY) })
    expect(missing.statusCode).toBe(404)
    return log.lines.filter((l) => l.msg === 'request')
  }

  it('info: a line for the refused request only', async () => {
    const lines = await requests('info')
    expect(lines.map((l) => [l.route, l.status])).toEqual([['/v1/verifications/:id', 404]])
  })

  it('debug: a line for every request, the route pattern and never the URL', async () => {
    const lines = await requests('debug')
    expect(lines.map((l) => [l.route, l.status])).toEqual([['/v1/verifications', 201], ['/v1/verifications/:id', 404]])
    expect(lines.map((l) => l.url)).toEqual([undefined, undefined])
  })
})
