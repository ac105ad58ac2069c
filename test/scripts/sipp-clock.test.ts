import { describe, expect, it } from 'vitest'
import { systemSpanInSippMs, type SippRun } from '../../scripts/sip-edge/sipp.js'

// Kamailio times the ring by the system clock, sipp by the monotonic one: the SIP suites hold a
// ring to RING_DELAY_MS by the edge's clock, converted with the rate both clocks ran at during
// the run. A machine here slewed its system clock 0.5% fast for a while: a 1,000 ms ring by
// Kamailio was 995 ms by sipp, and `ring ≥ 1000` failed on a correct edge.
const run = (systemMs: number, monotonicMs: number): SippRun => ({ code: 0, timers: {}, clock: { systemMs, monotonicMs }, output: '' })

describe('systemSpanInSippMs', () => {
  it('clocks in step: the span itself, less what a whole-ms Date.now() cannot tell (+1 ms)', () => {
    expect(systemSpanInSippMs(run(1100, 1100), 1000)).toBeCloseTo((1000 * 1100) / 1101, 6)
  })

  it('a system clock slewed 0.5% fast: a ring of 1,000 ms by it is 995 ms by sipp, and no less', () => {
    const floor = systemSpanInSippMs(run(1105.5, 1100), 1000)
    expect(floor).toBeCloseTo((1000 * 1100) / 1106.5, 6)
    expect(995).toBeGreaterThanOrEqual(floor)
    // A ring cut 1% short by any clock is still caught.
    expect(990).toBeLessThan(floor)
  })

  it('a system clock running slow asks for a longer ring by sipp', () => {
    expect(systemSpanInSippMs(run(1094.5, 1100), 1000)).toBeGreaterThan(1004)
  })
})
