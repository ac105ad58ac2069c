import fp from 'fastify-plugin'
import { CallverifyError } from '../domain/errors.js'
import { ClosureSpan, closureStartingWithin, serviceStatusAt, type ServiceCalendar, type ServiceStatus } from '../domain/calendar.js'
import { DAY_MS, japanDayNumber, japanDayStart } from '../domain/japan.js'
import type { MaintenanceWindow, Store } from '../store/types.js'

// R12: the service hours gate for create and confirm. Maintenance windows are read from the
// store at most once a second per instance: creates should not pay a round trip for them.

declare module 'fastify' {
  interface FastifyInstance {
    gate: ServiceGate
  }
}
const MAINTENANCE_CACHE_MS = 1000

/** The closures of the Japan day holding `now` ± 1 day, for as long as calendar and maintenance stay the same. */
interface CachedSpan {
  day: number
  rules: ServiceCalendar['rules']
  maintenance: readonly MaintenanceWindow[]
  span: ClosureSpan
}

function sameWindows(a: readonly MaintenanceWindow[], b: readonly MaintenanceWindow[]): boolean {
  return a === b || (a.length === b.length && a.every((w, i) => w.startsAt === b[i]!.startsAt && w.endsAt === b[i]!.endsAt))
}

export class ServiceGate {
  private cached: { at: number; windows: MaintenanceWindow[] } | undefined
  private closures: CachedSpan | undefined

  constructor(
    private readonly store: Store,
    readonly calendar: ServiceCalendar,
    /** Elapsed ms, for the cache's age (AppDeps.monotonic). */
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  async maintenance(): Promise<MaintenanceWindow[]> {
    const at = this.monotonic()
    if (!this.cached || at - this.cached.at > MAINTENANCE_CACHE_MS) {
      this.cached = { at, windows: await this.store.listMaintenance() }
    }
    return this.cached.windows
  }

  forget(): void {
    this.cached = undefined
  }

  async statusAt(at: number): Promise<ServiceStatus> {
    const maintenance = await this.maintenance()
    // Any instant may be asked (?at=): only the current span answers from the cache.
    return this.current(maintenance)?.statusAt(at) ?? serviceStatusAt(this.calendar, at, maintenance)
  }

  /** Closed now, or (for create) a closure beginning inside the new window; else open. */
  async check(now: number, windowMs = 0): Promise<ServiceStatus> {
    const maintenance = await this.maintenance()
    const span = this.spanFor(now, maintenance)
    const status = span.statusAt(now) ?? serviceStatusAt(this.calendar, now, maintenance)
    if (!status.open || windowMs <= 0) return status
    return span.closureStartingWithin(now, windowMs) ?? closureStartingWithin(this.calendar, now, windowMs, maintenance)
  }

  /** Refuses while closed, and (for create) when a closure would begin inside the new window. */
  async assertOpen(now: number, windowMs = 0): Promise<void> {
    const status = await this.check(now, windowMs)
    if (!status.open) throw closedError(status, now)
  }

  private current(maintenance: readonly MaintenanceWindow[]): ClosureSpan | undefined {
    const c = this.closures
    if (!c || c.rules !== this.calendar.rules || !sameWindows(c.maintenance, maintenance)) return undefined
    return c.span
  }

  // A closure lasts at most a day and a create's window is far shorter, so [day − 1, day + 2]
  // answers every question about the current day unless closures chain past it.
  private spanFor(now: number, maintenance: readonly MaintenanceWindow[]): ClosureSpan {
    const day = japanDayNumber(now)
    const span = this.current(maintenance)
    if (span && this.closures!.day === day) return span
    const start = japanDayStart(day)
    const rules = this.calendar.rules
    const fresh = new ClosureSpan({ rules }, start - DAY_MS, start + 2 * DAY_MS, maintenance)
    this.closures = { day, rules, maintenance, span: fresh }
    return fresh
  }
}

export function closedError(status: Extract<ServiceStatus, { open: false }>, now: number): CallverifyError {
  const until = new Date(status.until).toISOString()
  const retryAfterSeconds = Math.max(1, Math.ceil((status.until - now) / 1000))
  if (status.reason === 'MAINTENANCE') return new CallverifyError('MAINTENANCE', { until }, { retryAfterSeconds })
  return new CallverifyError('OUT_OF_SERVICE_HOURS', { reason: status.reason, until }, { retryAfterSeconds })
}

export interface GateOptions {
  calendar: ServiceCalendar
  /** Elapsed ms, for the maintenance cache's age (AppDeps.monotonic). */
  monotonic?: () => number
}

export default fp<GateOptions>(async (app, { calendar, monotonic }) => {
  app.decorate('gate', new ServiceGate(app.store, calendar, monotonic))
}, { name: 'gate', dependencies: ['store'] })
