import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERRORS, INTERNAL_ERROR_CODE, LOCKED_TODAY_JA, STATUS_MESSAGES } from '../../src/domain/errors.js'
import { buildTestApp, type TestApp } from '../support/app.js'

// fastify's test/internals/errors.test.js habit: the error table is tied to the documents
// that promise it — CONTRACT.md (beside the repo), the README and the OpenAPI document.
const root = fileURLToPath(new URL('../../', import.meta.url))
const contract = readFileSync(`${root}../shared/CONTRACT.md`, 'utf8')
const domain = readFileSync(`${root}../shared/DOMAIN.md`, 'utf8')
const readme = readFileSync(`${root}README.md`, 'utf8')

function contractCodes(): Map<string, number> {
  const section = contract.slice(contract.indexOf('## Errors'), contract.indexOf('## The auth backend'))
  const rows = [...section.matchAll(/^\| (\d{3}) \| `([A-Z_]+)` \|/gm)]
  return new Map(rows.map((m) => [m[2]!, Number(m[1])]))
}

function domainMessage(situation: string): string {
  const row = new RegExp(`^\\| ${situation} \\| (.+) \\|$`, 'm').exec(domain)
  if (!row) throw new Error(`DOMAIN.md has no message for "${situation}"`)
  return row[1]!.replace(/\s*\(wording ours.*\)$/, '').trim()
}

describe('error table', () => {
  it('errors — every code of CONTRACT.md is defined with its HTTP status', () => {
    const codes = contractCodes()
    expect(codes.size).toBe(16)
    for (const [code, status] of codes) {
      expect(ERRORS, code).toHaveProperty(code)
      expect(ERRORS[code as keyof typeof ERRORS].status, code).toBe(status)
    }
  })

  it('errors — a code beyond the contract is documented in the README error table', () => {
    const codes = contractCodes()
    const extra = Object.keys(ERRORS).filter((code) => !codes.has(code))
    for (const code of extra) expect(readme, code).toMatch(new RegExp(`\\| \\d{3} \\| \`${code}\` \\|`))
    const readmeCodes = [...readme.matchAll(/^\| (\d{3}) \| `([A-Z_]+)` \|/gm)].map((m) => m[2])
    for (const code of readmeCodes) expect(Object.keys(ERRORS), `README lists ${code}`).toContain(code)
  })

  it("errors — the customer messages are DOMAIN.md's, word for word", () => {
    expect(ERRORS.LOCKED.messageJa).toBe(domainMessage('attempt while locked'))
    expect(ERRORS.OUT_OF_SERVICE_HOURS.messageJa).toBe(domainMessage('out of hours'))
    expect(ERRORS.CONGESTED.messageJa).toBe(domainMessage('congestion'))
    expect(ERRORS.STORE_UNAVAILABLE.messageJa).toBe(domainMessage('system fault'))
    expect(ERRORS.VERIFICATION_PENDING.messageJa).toBe(domainMessage('waiting for the call'))
    expect(ERRORS.VERIFICATION_EXPIRED.messageJa).toBe(domainMessage('window over'))
    expect(ERRORS.VERIFICATION_CANCELLED.messageJa).toBe(domainMessage('cancelled'))
    expect(ERRORS.POOL_EXHAUSTED.messageJa).toBe(domainMessage('service unavailable'))
    expect(LOCKED_TODAY_JA).toBe(domainMessage('locked today'))
    expect(STATUS_MESSAGES.pending.ja).toBe(domainMessage('waiting for the call'))
    expect(STATUS_MESSAGES.cancelled.ja).toBe(domainMessage('cancelled'))
  })
})

describe('OpenAPI document', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp('memory')
  })
  afterAll(async () => t.close())

  it('openapi — the Error schema enumerates exactly the error table', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json()
    const codes: string[] = doc.components.schemas.Error.properties.error.properties.code.enum
    expect([...codes].sort()).toEqual([...Object.keys(ERRORS), INTERNAL_ERROR_CODE].sort())
  })

  it('openapi — documents every route of the contract', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json()
    const paths = Object.keys(doc.paths)
    for (const path of ['/v1/verifications', '/v1/verifications/{id}', '/v1/verifications/{id}/confirm', '/v1/verifications/{id}/cancel', '/v1/service-status', '/healthz', '/readyz']) {
      expect(paths, path).toContain(path)
    }
    expect((await t.app.inject({ url: '/docs/' })).statusCode).toBe(200)
  })
})
