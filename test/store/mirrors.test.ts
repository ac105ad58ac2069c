import { readFileSync } from 'node:fs'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JAPAN_OFFSET_MS, japanDayNumber } from '../../src/domain/japan.js'
import { NUMBER_HEALTHS, NUMBER_STATES, isAllocatable, isAnsweredCall, isSilentNumber } from '../../src/domain/pool.js'
import { STATUSES, applySupersede, isOpen, type Verification } from '../../src/domain/verification.js'
import { redisUrl } from '../support/redis.js'

// One rule, one function: where a Lua script needs a domain rule inside its atomic step, it has
// a twin in lua/includes/. Each twin is run here in Redis over the same inputs as its TypeScript
// rule; the two must answer the same. (The store contract suite checks the scripts' outcomes.)

const include = (name: string) => readFileSync(new URL(`../../src/store/redis/lua/includes/${name}.lua`, import.meta.url), 'utf8')
const INCLUDES = `${include('verification')}\n${include('pool')}\n`

let redis: Redis
beforeAll(() => {
  redis = new Redis(redisUrl())
})
afterAll(() => redis.disconnect())

/** Runs `body` (Lua, given `cases` decoded from JSON) after the includes; returns what it encodes. */
async function lua<T>(body: string, cases: unknown[]): Promise<T[]> {
  const script = `${INCLUDES}\nlocal cases = cjson.decode(ARGV[1])\nlocal out = {}\n${body}\nreturn cjson.encode(out)`
  return JSON.parse(String(await redis.eval(script, 0, JSON.stringify(cases)))) as T[]
}

const grid = <A, B>(as: readonly A[], bs: readonly B[]): [A, B][] => as.flatMap((a) => bs.map((b) => [a, b] as [A, B]))

describe('Lua twins of the domain rules', () => {
  it('is_allocatable — the same as isAllocatable for every state and weight', async () => {
    const cases = grid(NUMBER_STATES, [0, 1, 7])
    const got = await lua<boolean>('for i, c in ipairs(cases) do out[i] = is_allocatable(c[1], c[2]) end', cases)
    expect(got).toEqual(cases.map(([state, weight]) => isAllocatable({ state, weight })))
    expect(got.filter(Boolean)).toHaveLength(2)
  })

  it('is_silent — the same as isSilentNumber for every state, health and count around the threshold', async () => {
    const cases = grid(grid(NUMBER_STATES, NUMBER_HEALTHS), [0, 19, 20, 21]).map(([[state, health], allocations]) => [state, health, allocations] as const)
    const got = await lua<boolean>('for i, c in ipairs(cases) do out[i] = is_silent(c[1], c[2], c[3], 20) end', [...cases])
    expect(got).toEqual(cases.map(([state, health, allocationsSinceCall]) => isSilentNumber({ state, health, allocationsSinceCall }, 20)))
    expect(got.filter(Boolean)).toHaveLength(3 * 2)
  })

  it('is_answered — the same as isAnsweredCall', async () => {
    const cases = [0, 1, 17, 3600]
    expect(await lua<boolean>('for i, c in ipairs(cases) do out[i] = is_answered(c) end', cases)).toEqual(cases.map(isAnsweredCall))
  })

  it('is_open — the same as isOpen for every status', async () => {
    expect(await lua<boolean>('for i, c in ipairs(cases) do out[i] = is_open(c) end', [...STATUSES])).toEqual(STATUSES.map(isOpen))
  })

  it('superseded_fields — the same change as applySupersede, before, at and after the window ends', async () => {
    const expiresAt = 1_800_000_000_000
    const nows = [expiresAt - 60_000, expiresAt - 1, expiresAt, expiresAt + 1]
    const got = await lua<Record<string, unknown>>(`for i, now in ipairs(cases) do out[i] = superseded_fields({ expiresAt = '${expiresAt}' }, now) end`, nows)
    const older: Verification = {
      id: 'vf_x', tenant: 't', phoneMasked: '*******5678', phoneHash: 'h', verificationNumber: '+81120000001', status: 'pending',
      createdAt: expiresAt - 120_000, expiresAt, calls: 0, pollTokenHash: 'h',
    }
    expect(got).toEqual(nows.map((now) => {
      const after = applySupersede(older, now)
      return { status: after.status, ...(after.cancelledAt !== undefined ? { cancelledAt: after.cancelledAt, cancelReason: after.cancelReason } : {}) }
    }))
    expect(got.map((f) => f.status)).toEqual(['cancelled', 'cancelled', 'expired', 'expired'])
  })

  it('japan_day — the same day number as japanDayNumber, around Japan midnight and in a leap year', async () => {
    const midnight = Date.parse('2028-02-29T00:00:00+09:00')
    const cases = [midnight - 1, midnight, midnight + 1, midnight + 86_399_999, midnight + 86_400_000, Date.parse('2027-01-01T00:00:00+09:00') - 1]
    const got = await lua<number>(`for i, ms in ipairs(cases) do out[i] = japan_day(ms, ${JAPAN_OFFSET_MS}) end`, cases)
    expect(got).toEqual(cases.map(japanDayNumber))
    expect(got[1]! - got[0]!).toBe(1)
  })
})
