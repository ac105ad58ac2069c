import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import type { PressureLimits } from '../config.js'
import { CallverifyError } from '../domain/errors.js'

// R13: an overloaded instance tells the backend and the frontend so (503 CONGESTED, the seed's
// 「ただ今受付が混雑しております…」) instead of answering late. Registered in the /v1 scope
// (app.ts), so only /v1 is refused: a carrier webhook passes, because a call inside an open
// window must still verify and the voice answer is a reject anyway; /healthz, /readyz and
// /metrics stay up so operators can see the overload.

export interface PressureOptions extends PressureLimits {
  /** One more overload signal, asked on every /v1 request (tests flip it to inject pressure). */
  congested?: () => boolean
  /** Elapsed ms, for the warm-up (AppDeps.monotonic). */
  monotonic?: () => number
}

const RETRY_AFTER_SECONDS = 10
const SAMPLE_INTERVAL_MS = 1000
// Start-up (compiling schemas, connecting) keeps the loop busy: its samples say nothing about load.
const WARM_UP_MS = 2 * SAMPLE_INTERVAL_MS

export default fp<PressureOptions>(async (app, options) => {
  const { congested, monotonic = () => performance.now() } = options
  let warmUntil = Infinity
  app.addHook('onReady', async () => {
    warmUntil = monotonic() + WARM_UP_MS
  })
  // under-pressure samples the loop, heap and RSS; its own onRequest hook reads
  // request.routeOptions (a new object on every read in fastify 5), 2 % of a status poll's CPU
  // (npm run bench, BENCH_CPU_PROF). So it is registered in a scope of its own, which has no
  // routes, and the /v1 scope asks its isUnderPressure() in one cheap hook of ours.
  let underPressureNow: () => boolean = () => false
  await app.register(async (sampler) => {
    await sampler.register(underPressure, {
      maxEventLoopDelay: options.maxEventLoopDelayMs,
      maxHeapUsedBytes: options.maxHeapUsedBytes,
      maxRssBytes: options.maxRssBytes,
      maxEventLoopUtilization: options.maxEventLoopUtilization,
      // The last sample, not the average since start: recovery must show within a second or two.
      eventLoopUtilizationMode: 'interval',
      sampleInterval: SAMPLE_INTERVAL_MS,
    })
    underPressureNow = () => sampler.isUnderPressure()
  })
  app.addHook('onRequest', (_request, _reply, done) => {
    // The injected signal counts at once; the samples only after the warm-up.
    if (congested?.() || (underPressureNow() && monotonic() >= warmUntil)) {
      done(new CallverifyError('CONGESTED', {}, { retryAfterSeconds: RETRY_AFTER_SECONDS }))
      return
    }
    done()
  })
}, { name: 'pressure' })
