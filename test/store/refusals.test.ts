import { readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Refusal } from '../../src/store/refusals.js'

// bullmq keeps its ErrorCode enum beside its scripts; here the Refusal enum and each script's
// header Output: must agree: every refusal a script documents is in the enum, every literal
// refusal its body returns is documented, and every member of the enum is some script's.

const LUA_DIR = new URL('../../src/store/redis/lua/', import.meta.url)
const files = readdirSync(LUA_DIR).filter((file) => file.endsWith('.lua')).sort()
const read = (file: string) => readFileSync(new URL(file, LUA_DIR), 'utf8')
const MEMBERS = Object.values(Refusal).filter((v): v is Refusal => typeof v === 'number')

/** The negative integers of a header's Output: section (to the end of the header). */
function documented(source: string): number[] {
  const header = /^--\[\[([\s\S]*?)\]\]/.exec(source)?.[1] ?? ''
  const output = header.slice(header.indexOf('Output:'))
  return [...output.matchAll(/(?<![\w.])-(\d+)\b/g)].map((m) => -Number(m[1]))
}

/** The refusals a script's own body returns as literals: `return -8`, `reply(-1, …)`, `{ -12, … }`. */
function returned(source: string): number[] {
  const body = source.slice(source.indexOf(']]') + 2)
  return [...body.matchAll(/(?:return\s+\{?\s*|reply\()\s*-(\d+)\b/g)].map((m) => -Number(m[1]))
}

describe('refusal codes', () => {
  it.each(files)('%s — every refusal in its Output: is a member of the Refusal enum', (file) => {
    for (const code of documented(read(file))) expect(MEMBERS, `${file} documents ${code}`).toContain(code)
  })

  it.each(files)('%s — every refusal its body returns is documented in its Output:', (file) => {
    const source = read(file)
    for (const code of returned(source)) expect(documented(source), `${file} returns ${code}`).toContain(code)
  })

  it('Refusal — every member is documented by some script, and the scripts document no other', () => {
    const all = new Set(files.flatMap((file) => documented(read(file))))
    expect([...all].sort((a, b) => a - b)).toEqual([...MEMBERS].sort((a, b) => a - b))
  })
})
