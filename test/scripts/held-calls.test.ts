import { describe, expect, it } from 'vitest'
import { benchHeldCalls } from '../../scripts/bench/held-calls.js'

// The held-call bench (npm run bench) in miniature: it runs, every call gets the reject, and it
// reports latency against the delay and memory per held call, on kept-alive and on new
// connections. Timing targets are the bench's to judge on a quiet machine, not this suite's.
describe('benchHeldCalls', () => {
  it('bench — holds every call, answers each with the reject, and reports p50/p99/max and memory', async () => {
    const lines = await benchHeldCalls({ calls: 60, delayMs: 400, rampMs: 100 })
    expect(lines).toHaveLength(7)
    expect(lines[0]).toContain('60 signed voice webhooks')
    for (const [i, label] of [[1, 'kept-alive connections'], [4, 'a new connection per call']] as const) {
      expect(lines[i]).toMatch(new RegExp(`^  ${label}: p50 \\d+ ms, p99 \\d+ ms, max \\d+ ms \\(p99 − delay -?\\d+ ms\\): (PASS|FAIL)`))
      expect(Number(/p50 (\d+) ms/.exec(lines[i]!)?.[1])).toBeGreaterThanOrEqual(400)
      expect(lines[i + 1]).toMatch(/60\/60 answered with the reject, \d+ held at once; server side .* p50 \d+ ms/)
      expect(lines[i + 2]).toMatch(/memory per held call after GC: heap -?[\d.]+ KB/)
    }
  })
})
