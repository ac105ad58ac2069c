import { CallverifyError } from '../domain/errors.js'
import { closureStartingWithin, serviceStatusAt, type ServiceCalendar, type ServiceStatus } from '../domain/calendar.js'
import type { MaintenanceWindow, Store } from '../store/types.js'

// R12: the service hours gate for create and confirm. Maintenance windows are read from the
// store at most once a second per instance: creates should not pay a round trip for them.
const MAINTENANCE_CACHE_MS = 1000

export class ServiceGate {
  private cached: { at: number; windows: MaintenanceWindow[] } | undefined

  constructor(
    private readonly store: Store,
    readonly calendar: ServiceCalendar,
  ) {}

  async maintenance(): Promise<MaintenanceWindow[]> {
    const at = Date.now()
    if (!this.cached || at - this.cached.at > MAINTENANCE_CACHE_MS) {
      this.cached = { at, windows: await this.store.listMaintenance() }
    }
    return this.cached.windows
  }

  forget(): void {
    this.cached = undefined
  }

  async statusAt(at: number): Promise<ServiceStatus> {
    return serviceStatusAt(this.calendar, at, await this.maintenance())
  }

  /** Refuses while closed, and (for create) when a closure would begin inside the new window. */
  async assertOpen(now: number, windowMs = 0): Promise<void> {
    const maintenance = await this.maintenance()
    const status = serviceStatusAt(this.calendar, now, maintenance)
    const closing = status.open && windowMs > 0 ? closureStartingWithin(this.calendar, now, windowMs, maintenance) : status
    if (!closing.open) throw closedError(closing, now)
  }
}

export function closedError(status: Extract<ServiceStatus, { open: false }>, now: number): CallverifyError {
  const until = new Date(status.until).toISOString()
  const retryAfterSeconds = Math.max(1, Math.ceil((status.until - now) / 1000))
  if (status.reason === 'MAINTENANCE') return new CallverifyError('MAINTENANCE', { until }, { retryAfterSeconds })
  return new CallverifyError('OUT_OF_SERVICE_HOURS', { reason: status.reason, until }, { retryAfterSeconds })
}
