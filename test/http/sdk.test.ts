import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERRORS } from '../../src/domain/errors.js'
import { buildTestApp, type TestApp } from '../support/app.js'

// GET /sdk/callverify.js and the modules it imports: public code for any origin, cacheable.

// The element is browser JavaScript outside the TypeScript build: imported by a path typed as a string.
interface Words { errors: Record<string, string>; notes(windowSeconds: number): string[] }
const TEXT_MODULE: string = '../../src/sdk/text.js'
const { TEXT } = (await import(TEXT_MODULE)) as { TEXT: { ja: Words; en: Words } }

describe('GET /sdk', () => {
  let t: TestApp
  beforeAll(async () => { t = await buildTestApp('memory') })
  afterAll(async () => { await t?.close() })

  it('callverify.js — an ES module for any origin, no credentials, with an ETag and a max-age', async () => {
    const res = await t.app.inject({ url: '/sdk/callverify.js', headers: { origin: 'https://bank.example' } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/javascript/)
    expect(res.headers['access-control-allow-origin']).toBe('*')
    expect(res.headers['access-control-allow-credentials']).toBeUndefined()
    expect(res.headers['cache-control']).toMatch(/public, max-age=\d+/)
    expect(res.headers.etag).toMatch(/^"[\w-]{22}"$/)
    expect(res.body).toContain("customElements.define('callverify-call'")
    const again = await t.app.inject({ url: '/sdk/callverify.js', headers: { 'if-none-match': String(res.headers.etag) } })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
  })

  it('every module it imports is served beside it, the QR encoder included', async () => {
    // Followed from callverify.js through every relative import, as a browser would.
    const loaded = new Set<string>()
    const load = async (name: string): Promise<void> => {
      if (loaded.has(name)) return
      loaded.add(name)
      const res = await t.app.inject({ url: `/sdk/${name}` })
      expect(res.statusCode, name).toBe(200)
      expect(res.headers['access-control-allow-origin']).toBe('*')
      for (const m of res.body.matchAll(/from '\.\/([\w.]+)'/g)) await load(m[1]!)
    }
    await load('callverify.js')
    expect([...loaded].sort()).toEqual(['callverify.js', 'live.js', 'qr.js', 'style.js', 'text.js', 'view.js'])
    expect((await t.app.inject({ url: '/sdk/qr.js' })).body).toMatch(/export \{[^}]*\bencode\b/)
  })

  it('anything else is a 404 in the contract shape', async () => {
    for (const name of ['missing.js', '..%2Fapp.ts', 'text.ts']) {
      const res = await t.app.inject({ url: `/sdk/${name}` })
      expect(res.statusCode, name).toBe(404)
      expect(res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } })
    }
  })
})

describe('sdk text', () => {
  it('the element\'s Japanese error messages are the service\'s (docs/rules.md) for every code it names', () => {
    const codes = Object.keys(TEXT.ja.errors).filter((code) => code in ERRORS) as (keyof typeof ERRORS)[]
    expect(codes.length).toBeGreaterThan(8)
    for (const code of codes) expect(TEXT.ja.errors[code], code).toBe(ERRORS[code].messageJa)
  })

  it('English says every word Japanese says', () => {
    expect(Object.keys(TEXT.en).sort()).toEqual(Object.keys(TEXT.ja).sort())
    expect(Object.keys(TEXT.en.errors).sort()).toEqual(Object.keys(TEXT.ja.errors).sort())
    expect(TEXT.en.notes(120)).toHaveLength(TEXT.ja.notes(120).length)
  })
})
