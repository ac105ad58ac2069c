import { describe, expect, it } from 'vitest'
import { benchHeldCalls } from '../../scripts/bench/held-calls.js'

// The held-call bench (npm run bench) in miniature: it runs, every call gets the reject, and it
// reports latency against the delay and memory per held call. Timing targets are the bench's
// to judge on a quiet machine, not this suite's.
describe('benchHeldCalls', () => {
  it('bench — holds every call, answers each with the reject, and reports p50/p99/max and memory', async () => {
    const lines = await benchHeldCalls({ calls: 60, delayMs: 400, rampMs: 100 })
    expect(lines).toHaveLength(4)
    expect(lines[0]).toContain('60 signed voice webhooks')
    expect(lines[1]).toMatch(/p50 \d+ ms, p99 \d+ ms, max \d+ ms; p99 − delay -?\d+ ms \(target ≤ 50\): (PASS|FAIL)/)
    expect(lines[2]).toMatch(/answers: 60 rejects, 0 failures; peak held at once \d+/)
    expect(lines[3]).toMatch(/memory per held call: heap -?[\d.]+ KB/)
    const p50 = Number(/p50 (\d+) ms/.exec(lines[1]!)?.[1])
    expect(p50).toBeGreaterThanOrEqual(400)
  })
})
