import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERRORS, INTERNAL_ERROR, INTERNAL_ERROR_CODE, LOCKED_TODAY_JA, STATUS_MESSAGES } from '../../src/domain/errors.js'
import { buildTestApp, type TestApp } from '../support/app.js'

// fastify's test/internals/errors.test.js habit: the error table is tied, in both directions, to
// the documents that promise it: the project's own contract (docs/contract.md), its rules
// (docs/rules.md) and the OpenAPI document. Nothing outside the repository is read. The routes
// are tied to the OpenAPI document and docs/contract.md in test/http/openapi.test.ts.
const root = fileURLToPath(new URL('../../', import.meta.url))
const contract = readFileSync(`${root}docs/contract.md`, 'utf8')
const rules = readFileSync(`${root}docs/rules.md`, 'utf8')

/** docs/contract.md "Errors": code → status. */
function contractCodes(): Map<string, number> {
  const section = contract.slice(contract.indexOf('## Errors'), contract.indexOf('## The auth backend'))
  const rows = [...section.matchAll(/^\| (\d{3}) \| `([A-Z_]+)` \|/gm)]
  return new Map(rows.map((m) => [m[2]!, Number(m[1])]))
}

function customerMessage(situation: string): string {
  const row = new RegExp(`^\\| ${situation} \\| (.+) \\|$`, 'm').exec(rules)
  if (!row) throw new Error(`docs/rules.md has no message for "${situation}"`)
  return row[1]!.trim()
}

describe('error table', () => {
  it('errors — every code of the contract is defined with its HTTP status', () => {
    const codes = contractCodes()
    expect(codes.size).toBe(Object.keys(ERRORS).length + 1)
    for (const [code, status] of codes) {
      if (code === INTERNAL_ERROR_CODE) {
        expect(INTERNAL_ERROR.status).toBe(status)
        continue
      }
      expect(ERRORS, code).toHaveProperty(code)
      expect(ERRORS[code as keyof typeof ERRORS].status, code).toBe(status)
    }
  })

  it('errors — every code defined is in the contract, none beyond it', () => {
    const codes = contractCodes()
    for (const code of [...Object.keys(ERRORS), INTERNAL_ERROR_CODE]) expect([...codes.keys()], `docs/contract.md lacks ${code}`).toContain(code)
  })

  it("errors — the customer messages are docs/rules.md's, word for word", () => {
    expect(ERRORS.LOCKED.messageJa).toBe(customerMessage('attempt while locked'))
    expect(ERRORS.OUT_OF_SERVICE_HOURS.messageJa).toBe(customerMessage('out of hours'))
    expect(ERRORS.CONGESTED.messageJa).toBe(customerMessage('congestion'))
    expect(ERRORS.STORE_UNAVAILABLE.messageJa).toBe(customerMessage('system fault'))
    expect(ERRORS.VERIFICATION_PENDING.messageJa).toBe(customerMessage('waiting for the call'))
    expect(ERRORS.VERIFICATION_EXPIRED.messageJa).toBe(customerMessage('window over'))
    expect(ERRORS.VERIFICATION_CANCELLED.messageJa).toBe(customerMessage('cancelled'))
    expect(ERRORS.POOL_EXHAUSTED.messageJa).toBe(customerMessage('service unavailable'))
    expect(LOCKED_TODAY_JA).toBe(customerMessage('locked today'))
    expect(STATUS_MESSAGES.pending.ja).toBe(customerMessage('waiting for the call'))
    expect(STATUS_MESSAGES.cancelled.ja).toBe(customerMessage('cancelled'))
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
})
