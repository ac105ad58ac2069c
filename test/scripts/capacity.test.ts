import { describe, expect, it } from 'vitest'
import { benchCapacity } from '../../scripts/bench/capacity.js'

// The capacity bench (npm run bench:capacity) in miniature: it drives every step through the
// store's scripts on a redis-server of its own and reports rates, Redis CPU per step and the
// per-verification ceiling. What the figures are is the bench's to judge, not this suite's.
describe('benchCapacity', () => {
  it('bench — creates, polls, calls and confirms through the scripts and reports each with its Redis CPU and ceiling', async () => {
    const lines = await benchCapacity({ seconds: 0.3, inFlight: 16, polls: 4, pool: 10 })
    expect(lines[0]).toMatch(/^capacity: the store's scripts against a redis-server of its own, 10 pool numbers, 16 calls in flight/)
    for (const [i, name] of ['create', 'status poll', 'call \\(voice \\+ status callback\\)', 'confirm'].entries()) {
      expect(lines[i + 1]).toMatch(new RegExp(`^  ${name}: [\\d,]+/s reached \\([\\d,]+ in [\\d.]+ s\\); Redis CPU [\\d.]+ µs each → ceiling [\\d,]+/s on one core$`))
      expect(Number(/\(([\d,]+) in/.exec(lines[i + 1]!)![1]!.replace(/,/g, ''))).toBeGreaterThan(0)
    }
    expect(lines[5]).toMatch(/^  one verification \(create, 4 polls, a call, confirm\): \d+ µs of Redis CPU → ceiling [\d,]+ verifications\/s/)
  }, 60_000)
})
