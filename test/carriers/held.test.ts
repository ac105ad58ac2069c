import { afterEach, describe, expect, it, vi } from 'vitest'
import { HeldCalls } from '../../src/carriers/held.js'

function gauge() {
  let value = 0
  return { inc: () => void value++, dec: () => void value--, get value() { return value } }
}

describe('HeldCalls', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('hold — resolves after the delay on a timer, counted in the gauge while it waits', async () => {
    vi.useFakeTimers()
    const g = gauge()
    const held = new HeldCalls(g)
    let done = false
    void held.hold(6000).then(() => (done = true))
    expect([held.size, g.value, vi.getTimerCount()]).toEqual([1, 1, 1])
    await vi.advanceTimersByTimeAsync(5999)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(done).toBe(true)
    expect([held.size, g.value, vi.getTimerCount()]).toEqual([0, 0, 0])
  })

  it('releaseAll — answers every held call at once and clears their timers; later holds do not wait', async () => {
    vi.useFakeTimers()
    const g = gauge()
    const held = new HeldCalls(g)
    const waiting = Array.from({ length: 50 }, () => held.hold(8000))
    expect(held.releaseAll()).toBe(50)
    await Promise.all(waiting)
    expect([held.size, g.value, vi.getTimerCount(), held.closing]).toEqual([0, 0, 0, true])
    await held.hold(8000)
    expect(held.size).toBe(0)
  })

  it('hold — a zero delay answers at once', async () => {
    const held = new HeldCalls()
    await held.hold(0)
    expect(held.size).toBe(0)
  })
})
