import { readFileSync, readdirSync } from 'node:fs'
import { Command, Redis } from 'ioredis'
import { describe, expect, it, onTestFinished } from 'vitest'
import { READ_FIELDS } from '../../src/store/redis/codecs.js'
import { ScriptCommand } from '../../src/store/redis/loader.js'
import { scriptSources } from '../../src/store/redis/scripts.js'
import { redisUrl } from '../support/redis.js'

// One script per decision, named <operation>-<numberOfKeys>.lua (-n: fixed keys,
// then as many rate-limit counters as the caller passes), each opening with a header of its KEYS,
// ARGV and Output; includes pasted in by the one loader.

const LUA_DIR = new URL('../../src/store/redis/lua/', import.meta.url)
const files = readdirSync(LUA_DIR).filter((file) => file.endsWith('.lua')).sort()
const read = (file: string): string => readFileSync(new URL(file, LUA_DIR), 'utf8')
const header = (source: string): string => /^--\[\[([\s\S]*?)\]\]/.exec(source)?.[1] ?? ''
const indices = (text: string, name: 'KEYS' | 'ARGV'): number[] =>
  [...text.matchAll(new RegExp(`${name}\\[(\\d+)(?:\\.\\.(\\d+))?\\]`, 'g'))].flatMap((m) => (m[2] ? [Number(m[1]), Number(m[2])] : [Number(m[1])]))

describe('lua scripts', () => {
  it('lua scripts — there are scripts, and the loader reads each of them', () => {
    expect(files.length).toBeGreaterThanOrEqual(9)
    expect(scriptSources().map((s) => `${s.name}-${s.numberOfKeys ?? 'n'}.lua`).sort()).toEqual(files)
  })

  it.each(files)('%s — is named <operation>-<numberOfKeys or n>.lua', (file) => {
    expect(file).toMatch(/^[a-z][A-Za-z]+-(\d+|n)\.lua$/)
  })

  it.each(files)('%s — opens with a header documenting KEYS, ARGV and Output', (file) => {
    const source = read(file)
    expect(source.startsWith('--[[')).toBe(true)
    const text = header(source)
    expect(text).toMatch(/KEYS\[1\]/)
    expect(text).toMatch(/ARGV\[1(\]|\.\.)/)
    expect(text).toMatch(/Output:/)
  })

  it.each(files)('%s — documents exactly as many KEYS as its name says (-n: then a varying tail), and uses no more', (file) => {
    const named = /-(\d+|n)\.lua$/.exec(file)![1]!
    const source = read(file)
    const documented = indices(header(source), 'KEYS')
    const count = Math.max(...documented)
    if (named === 'n') expect(header(source)).toContain(`KEYS[${count + 1}…]`)
    else expect(count).toBe(Number(named))
    expect(new Set(documented)).toEqual(new Set(Array.from({ length: count }, (_, i) => i + 1)))
    const body = source.slice(source.indexOf(']]') + 2)
    expect(Math.max(0, ...indices(body, 'KEYS'))).toBeLessThanOrEqual(count)
  })

  it.each(files)('%s — uses no ARGV its header does not document', (file) => {
    const source = read(file)
    const documented = Math.max(...indices(header(source), 'ARGV'))
    const used = Math.max(0, ...indices(source.slice(source.indexOf(']]') + 2), 'ARGV'))
    expect(used).toBeLessThanOrEqual(documented)
  })

  it('loader — include expansion leaves no @include line, and pastes each include once', () => {
    // Any directive-like line left over (other quotes or spacing) was not expanded.
    expect(files.filter((file) => /^--- @include "/m.test(read(file))).length).toBeGreaterThan(0)
    for (const { name, lua } of scriptSources()) {
      expect(lua, name).not.toMatch(/^\s*--+\s*@include/m)
      expect(lua.match(/^local function context\(\)/gm)?.length ?? 0, name).toBeLessThanOrEqual(1)
    }
    const record = scriptSources().find((s) => s.name === 'recordCall')!
    expect(record.lua).toMatch(/local function note_call/)
    expect(record.lua).toMatch(/local function expire_if_due/)
  })

  it('pollVerification-n.lua — its HMGET asks READ_FIELDS in their order, and reads the status and the window\'s end where they are', () => {
    const lua = read('pollVerification-n.lua')
    const asked = /redis\.call\('HMGET', KEYS\[1\],([^)]*)\)/.exec(lua)?.[1] ?? ''
    expect([...asked.matchAll(/'([A-Za-z]+)'/g)].map((m) => m[1])).toEqual([...READ_FIELDS])
    expect(lua).toContain(`v[${READ_FIELDS.indexOf('status') + 1}] == 'pending'`)
    expect(lua).toContain(`tonumber(v[${READ_FIELDS.indexOf('expiresAt') + 1}])`)
    expect(lua).toContain(`for i = 1, ${READ_FIELDS.length} do`)
  })

  it('readVerification-n.lua — its FIELDS are READ_FIELDS, in the same order, the client-chosen ones last', () => {
    const table = /local FIELDS = \{([^}]*)\}/.exec(read('readVerification-n.lua'))?.[1] ?? ''
    const fields = [...table.matchAll(/'([A-Za-z]+)'/g)].map((m) => m[1])
    expect(fields).toEqual([...READ_FIELDS])
    expect(fields.slice(-2)).toEqual(['callbackUrl', 'reference'])
    // Every field a verification hash holds (includes/verification.lua lists them).
    const documented = /-- Verification hash fields: ([^(]*)/.exec(read('includes/verification.lua'))?.[1]?.split(/\s+|--/).filter(Boolean)
    expect(new Set(fields)).toEqual(new Set(documented))
  })

  it('loader — every expanded script compiles in Redis', async () => {
    const redis = new Redis(redisUrl())
    onTestFinished(() => void redis.disconnect())
    for (const { name, lua } of scriptSources()) {
      await expect(redis.script('LOAD', lua), name).resolves.toMatch(/^[0-9a-f]{40}$/)
    }
  })

  it('ScriptCommand — writes the bytes ioredis\' Command writes for the same arguments, non-ASCII ones too', () => {
    const wire = ['0123456789abcdef0123456789abcdef01234567', '2', 'cv:caller:abc', 'cv:v:vf_1', 'bank', '', '120000', 'ご参照 №7', '0.25']
    const ours = new ScriptCommand('evalsha', [...wire])
    const theirs = new Command('evalsha', [...wire], { replyEncoding: 'utf8' })
    expect(ours.toWritable(undefined as never)).toBe(theirs.toWritable(undefined as never))
    expect(ours.args).toEqual(wire)
  })

  it('ScriptCommand — through a real connection, replies as strings (utf8), as the store reads them', async () => {
    const redis = new Redis(redisUrl())
    onTestFinished(() => void redis.disconnect())
    await expect(redis.sendCommand(new ScriptCommand('eval', ['return {1, ARGV[1], "ご参照"}', '0', 'ä']))).resolves.toEqual([1, 'ä', 'ご参照'])
  })
})
