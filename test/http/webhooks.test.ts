import { beforeAll, afterEach, describe, expect, it } from 'vitest'
import { listFixtures, loadFixture, type WebhookFixture } from '../../src/carriers/twilio/fixtures.js'
import { STORE_KINDS, buildTestApp, type TestApp } from '../support/app.js'
import { buildWebhookApp, callsOfKind, getVerification, poolFor, postFixture, setUpGiven } from '../support/twilio.js'

// Every fixture under webhooks/twilio/ replayed, correctly signed, on both stores: the
// fixtures are the carrier contract, so this suite and the simulator share one dialect.

// Long enough that "at once" and "after the ring" stay apart on a loaded two-core machine.
const DELAY = 800
const FIXTURES = listFixtures().map(loadFixture)

/** What GET says afterwards for the verification the fixture's `given` opened. */
const STATUS_AFTER: Record<string, { status: string; calls: number }> = {
  verified: { status: 'verified', calls: 1 },
  duplicate: { status: 'verified', calls: 1 },
}
const UNCHANGED = { status: 'pending', calls: 0 }

beforeAll(async () => {
  // inject() loads light-my-request on first use; keep that out of the first timing.
  const t = await buildTestApp('memory')
  await t.app.inject({ method: 'GET', url: '/healthz' })
  await t.close()
})

it('fixtures — cover every case the contract names, each with a description', () => {
  const outcomes = new Set(FIXTURES.map((f) => f.expect.outcome))
  for (const o of ['verified', 'unmatched', 'unknown-number', 'duplicate', 'withheld', 'malformed', 'recorded', 'answered', 'fallback']) {
    expect(outcomes, o).toContain(o)
  }
  for (const f of FIXTURES) expect(f.description.length, f.name).toBeGreaterThan(20)
  // R5: every withheld form in the contract has its fixture.
  const withheld = FIXTURES.filter((f) => f.expect.outcome === 'withheld').map((f) => String(f.params.From).toLowerCase())
  for (const from of ['', 'anonymous', 'restricted', 'unknown', 'private', 'unavailable', 'blocked', '+266696687', '+7378742833', '+17378742833', '+2562533', '+8656696', '+86282452253']) {
    expect(withheld, from).toContain(from)
  }
  expect(withheld.some((from) => from.startsWith('client:'))).toBe(true)
})

async function expectOutcome(t: TestApp, fixture: WebhookFixture, ids: string[]): Promise<void> {
  const outcome = fixture.expect.outcome
  for (const id of ids) expect(await getVerification(t, id), fixture.name).toMatchObject(STATUS_AFTER[outcome] ?? UNCHANGED)
  if (fixture.path.endsWith('/status')) {
    const number = await t.store.getNumber(String(fixture.params.To))
    // Every status callback's outcome is recorded on its pool number.
    expect(number?.outcomesToday, 'outcomesToday').toEqual({ [String(fixture.params.CallStatus)]: 1 })
    expect(number?.lastOutcome).toMatchObject({ status: fixture.params.CallStatus, durationSeconds: Number(fixture.params.CallDuration ?? 0) })
    if (outcome === 'answered') expect(number).toMatchObject({ state: 'quarantined', health: 'answered' })
    else expect(number).toMatchObject({ state: 'active', health: 'ok' })
  }
  // calls{kind}: one per call; a status callback is no new call, unless it reports an answer.
  if (outcome !== 'recorded') expect(await callsOfKind(t, outcome), `calls{kind="${outcome}"}`).toBe(1)
  else expect((await t.app.metrics.calls.get()).values).toEqual([])
  if (outcome === 'duplicate') {
    expect(await callsOfKind(t, 'verified')).toBe(1)
    // The retry counts once on the pool number too.
    expect((await t.store.getNumber(String(fixture.params.To)))?.callsToday).toBe(1)
  }
  expect((await t.app.metrics.rejectedSignatures.get()).values[0]?.value ?? 0).toBe(0)
}

for (const kind of STORE_KINDS) {
  describe(`webhook fixtures on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    for (const fixture of FIXTURES) {
      it(`${fixture.path.split('/').pop()} — ${fixture.name}: ${fixture.expect.outcome}, ${fixture.expect.delayed ? 'after the ring' : 'at once'}`, async () => {
        t = await buildWebhookApp(kind, { RING_DELAY_MS: String(DELAY), POOL_NUMBERS: poolFor(fixture) })
        const ids = await setUpGiven(t, fixture)
        const { res, ms } = await postFixture(t, fixture)

        expect(res.statusCode).toBe(fixture.expect.status)
        expect(res.headers['content-type'] ?? null).toBe(fixture.expect.contentType)
        expect(res.body).toBe(fixture.expect.body)
        if (fixture.expect.delayed) {
          expect(ms).toBeGreaterThanOrEqual(DELAY - 1)
          expect(ms).toBeLessThan(DELAY + 500)
        } else {
          expect(ms).toBeLessThan(DELAY - 300)
        }
        await expectOutcome(t, fixture, ids)
        expect(await t.app.metrics.heldCalls.get()).toMatchObject({ values: [{ value: 0 }] })
      })
    }
  })
}
