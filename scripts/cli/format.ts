import type { LockBody, PoolNumberBody, SyncReport } from '../../src/http/schemas/admin.js'
import type { MaintenanceWindowBody } from '../../src/http/schemas/maintenance.js'

// How the CLI prints for people (--json prints the API's bodies as they are). The bodies are
// typed by the admin API's own response schemas, so a field the API drops fails tsc here.

/** Columns padded to their widest cell; '' for a missing value. */
export function table(header: string[], rows: (string | number | boolean | undefined)[][]): string[] {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === undefined ? '' : String(c))))]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]!))).join('  ').trimEnd())
}

/** 2026-06-10T03:00:00.000Z → 2026-06-10 03:00:00Z: seconds are enough for people. */
export function when(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : ''
}

export function numbersTable(numbers: PoolNumberBody[]): string[] {
  return table(
    ['NUMBER', 'CARRIER', 'DISPLAY', 'STATE', 'WEIGHT', 'HEALTH', 'PENDING', 'CALLS TODAY', 'SINCE CALL', 'LAST CALL', 'LABEL'],
    numbers.map((n) => [n.e164, n.carrier, n.display, n.state, n.weight, n.health, n.pending, n.callsToday, n.allocationsSinceCall, when(n.lastCallAt), n.label]),
  )
}

type Change = SyncReport['updated'][number]['changes'][number]

export function syncLines(r: SyncReport): string[] {
  if (r.manual) {
    return [`sync is manual for ${r.carrier}: at the carrier, point ${r.toSetByHand?.join(', ') || '(no pool numbers)'} at`, ...Object.entries(r.target ?? {}).map(([k, v]) => `  ${k}: ${v}`)]
  }
  const verb = r.dryRun ? 'would update' : 'updated'
  const changed = (label: string, changes: Change[]) => [`${verb} ${label}`, ...changes.map((c) => `  ${c.field}: ${c.from || '(none)'} → ${c.to || '(none)'}`)]
  const app = r.application && r.application.changes.length > 0 ? changed(`TeXML application ${r.application.id}`, r.application.changes) : []
  const lines = [...app, ...r.updated.flatMap((u) => changed(u.e164, u.changes))]
  const list = (label: string, items: string[], hint: string) => (items.length > 0 ? [`${label}: ${items.join(', ')}${hint}`] : [])
  return [
    ...lines,
    ...list('unchanged', r.unchanged, ''),
    ...list(`missing in the ${r.carrier === 'telnyx' ? 'Telnyx' : 'Twilio'} account`, r.missingInAccount, ' (calls to these never reach us: buy or port them, or retire them)'),
    ...list('on a SIP trunk', r.onTrunk, ' (voice URLs are ignored there: route the trunk by hand)'),
    ...list('in the account, not in the pool', r.notInPool, ' (left alone)'),
    ...(lines.length === 0 && r.dryRun ? ['nothing to change'] : []),
  ]
}

export function lockLine(l: LockBody): string {
  const who = `${l.tenant} ${l.phoneNumber.masked}`
  if (l.lifted !== undefined) return l.lifted ? `lifted the lock on ${who}; today's failures cleared` : `${who} was not locked; today's failures cleared`
  return l.locked ? `${who}: locked until ${when(l.lockedUntil)} (${l.failures} failures today)` : `${who}: not locked (${l.failures} failures today)`
}

export function maintenanceTable(windows: MaintenanceWindowBody[]): string[] {
  if (windows.length === 0) return ['no maintenance announced']
  return table(['ID', 'STARTS', 'ENDS', 'ACTIVE', 'BY', 'NOTE'], windows.map((w) => [w.id, when(w.startsAt), when(w.endsAt), w.active ? 'yes' : 'no', w.createdBy, w.note]))
}
