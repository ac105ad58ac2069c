import { describe, expect, it } from 'vitest'
import { benchHeldCalls } from '../../scripts/bench/held-calls.js'

// The held-call bench (npm run bench) in miniature, against main.ts as `npm start` runs it: it
// runs, every call gets the reject, and it reports latency against the delay, the server's own
// side, memory per held call and the CPU each side spent, on kept-alive and on new connections.
// Timing targets are the bench's to judge on a quiet machine, not this suite's.
describe('benchHeldCalls', () => {
  it('bench — holds every call, answers each with the reject, and reports p50/p99/max, the server side and memory', async () => {
    const rows = await benchHeldCalls({ calls: 60, delayMs: 400, rampMs: 100 })
    expect(rows.map((r) => r.name)).toEqual([
      '60 held calls in 1 s, kept-alive connections: client p99',
      '60 held calls in 1 s, a new connection per call: client p99',
    ])
    for (const row of rows) {
      expect(row.value).toBeGreaterThanOrEqual(400)
      expect(row.target).toBe('≤ 450 ms')
      expect(row.note).toMatch(/^p50 (\d+) ms, max \d+ ms \(p99 − delay -?\d+ ms\); 60\/60 answered with the reject, \d+ held at once; server side \(request read → answer sent, from its LOG_LEVEL=debug lines\) p50 \d+ ms, p99 \d+ ms \(60 logged\); RSS \+-?[\d.]+ MB/)
      expect(Number(/^p50 (\d+) ms/.exec(row.note!)?.[1])).toBeGreaterThanOrEqual(400)
      // The server's /metrics answered the bench (its held gauge), and whose CPU each call took.
      expect(Number(/(\d+) held at once/.exec(row.note!)?.[1])).toBeGreaterThan(0)
      expect(row.note).toMatch(/; over the delay p50 -?\d+, p90 -?\d+, p99 -?\d+, max -?\d+ ms; CPU per call: server main thread \d+ µs \(and \d+ µs waiting for a CPU\), server process \d+ µs, load generator \d+ µs/)
      expect(row.note).toMatch(/TCP \(system-wide\): \d+ accept-queue overflows, \d+ listen drops, \d+ SYN retransmits, \d+ SYN cookies$/)
    }
  }, 180_000)
})
