#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { CARRIERS } from '../src/domain/carrier.js'
import { NUMBER_STATES } from '../src/domain/pool.js'
import { adminClient, ApiError, reasonOf, Unreachable } from './cli/client.js'
import type { LockBody, PoolNumberBody, SyncReport } from '../src/http/schemas/admin.js'
import type { MaintenanceWindowBody } from '../src/http/schemas/maintenance.js'
import { lockLine, maintenanceTable, numbersTable, syncLines } from './cli/format.js'

// callverify: the operations CLI over the admin API (docs/contract.md "Operations staff"). Exit codes:
// 0 ok, 1 the API refused (its code and message printed), 2 usage, 3 the service cannot be reached.

const USAGE = `usage: callverify <command> [--json] [--url URL]

  numbers list
  numbers add <e164> [--carrier ${CARRIERS.join('|')}] [--weight N] [--label L]
  numbers set <e164> [--state ${NUMBER_STATES.join('|')}] [--weight N] [--label L] [--carrier C] [--force]
  numbers sync [--carrier twilio|telnyx|…] [--dry-run]
  locks show <phone> --tenant T
  locks clear <phone> --tenant T
  maintenance list
  maintenance add --starts ISO --ends ISO [--note N]
  maintenance remove <id>
  simulate-call --from N --to N [--withheld] [--carrier twilio|signalwire|telnyx|plivo|bandwidth]

environment:
  CALLVERIFY_URL          the service (default http://localhost:3000; --url overrides)
  CALLVERIFY_ADMIN_TOKEN  an admin token (one of the service's ADMIN_TOKENS)
  TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL  simulate-call signs with these, as the service checks them`

class UsageError extends Error {
  constructor(message: string, readonly showUsage = true) {
    super(message)
  }
}

const OPTIONS = {
  json: { type: 'boolean' }, url: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  weight: { type: 'string' }, label: { type: 'string' }, carrier: { type: 'string' }, state: { type: 'string' }, force: { type: 'boolean' },
  'dry-run': { type: 'boolean' }, tenant: { type: 'string' },
  starts: { type: 'string' }, ends: { type: 'string' }, note: { type: 'string' },
  from: { type: 'string' }, to: { type: 'string' }, withheld: { type: 'boolean' },
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values']
interface Output { json: unknown; text: string[]; exitCode?: number }

function need(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`missing ${what}`)
  return value
}

function weightOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  if (!/^\d+$/.test(raw)) throw new UsageError(`--weight must be a whole number ≥ 0 (got "${raw}")`)
  return Number(raw)
}

const path = (segment: string) => encodeURIComponent(segment)

async function admin(url: string, [group, action, arg]: string[], v: Values): Promise<Output> {
  const token = process.env.CALLVERIFY_ADMIN_TOKEN
  if (!token) throw new UsageError('set CALLVERIFY_ADMIN_TOKEN to an admin token (one of the service\'s ADMIN_TOKENS)', false)
  const api = adminClient(url, token)
  const key = `${group} ${action ?? ''}`.trim()
  switch (key) {
    case 'numbers list': {
      const body = await api.request<{ numbers: PoolNumberBody[] }>('GET', '/admin/numbers')
      return { json: body, text: numbersTable(body.numbers) }
    }
    case 'numbers add': {
      const weight = weightOf(v.weight)
      const n = await api.request<PoolNumberBody>('POST', '/admin/numbers', { e164: need(arg, '<e164>'), ...(v.carrier ? { carrier: v.carrier } : {}), ...(weight !== undefined ? { weight } : {}), ...(v.label !== undefined ? { label: v.label } : {}) })
      return { json: n, text: numbersTable([n]) }
    }
    case 'numbers set': {
      const e164 = need(arg, '<e164>')
      if (v.state !== undefined && !(NUMBER_STATES as readonly string[]).includes(v.state)) throw new UsageError(`--state must be one of ${NUMBER_STATES.join(', ')}`)
      const weight = weightOf(v.weight)
      const patch = { ...(v.state ? { state: v.state } : {}), ...(v.carrier ? { carrier: v.carrier } : {}), ...(weight !== undefined ? { weight } : {}), ...(v.label !== undefined ? { label: v.label } : {}) }
      if (Object.keys(patch).length === 0) throw new UsageError('numbers set needs --state, --weight, --label or --carrier')
      const n = await api.request<PoolNumberBody>('PATCH', `/admin/numbers/${path(e164)}${v.force ? '?force=true' : ''}`, patch)
      return { json: n, text: numbersTable([n]) }
    }
    case 'numbers sync': {
      const query = new URLSearchParams({ ...(v['dry-run'] ? { dryRun: 'true' } : {}), ...(v.carrier ? { carrier: v.carrier } : {}) }).toString()
      const report = await api.request<SyncReport>('POST', `/admin/numbers/sync${query ? `?${query}` : ''}`)
      return { json: report, text: syncLines(report) }
    }
    case 'locks show':
    case 'locks clear': {
      const target = `/admin/locks/${path(need(arg, '<phone>'))}?tenant=${path(need(v.tenant, '--tenant'))}`
      const lock = await api.request<LockBody>(action === 'show' ? 'GET' : 'DELETE', target)
      return { json: lock, text: [lockLine(lock)] }
    }
    case 'maintenance list': {
      const body = await api.request<{ maintenance: MaintenanceWindowBody[] }>('GET', '/admin/maintenance')
      return { json: body, text: maintenanceTable(body.maintenance) }
    }
    case 'maintenance add': {
      const w = await api.request<MaintenanceWindowBody>('POST', '/admin/maintenance', {
        startsAt: need(v.starts, '--starts ISO'), endsAt: need(v.ends, '--ends ISO'), ...(v.note !== undefined ? { note: v.note } : {}),
      })
      return { json: w, text: maintenanceTable([w]) }
    }
    case 'maintenance remove': {
      const id = need(arg, '<id>')
      await api.request('DELETE', `/admin/maintenance/${path(id)}`)
      return { json: { removed: id }, text: [`removed ${id}`] }
    }
    default:
      throw new UsageError(`unknown command "${key}"`)
  }
}

async function simulate(url: string, v: Values): Promise<Output> {
  if (!v.withheld) need(v.from, '--from (or --withheld)')
  // Loaded only here: the simulator pulls in phone-number metadata the admin commands never need.
  const { describeSimulatedCall, simulateCall } = await import('../src/carriers/twilio/simulate.js')
  if (v.carrier && v.carrier !== 'twilio') {
    // Another carrier's dialect, signed with that carrier's credentials from the environment.
    const [{ simulateCarrierCall }, { loadConfig }] = await Promise.all([import('../src/carriers/simulate.js'), import('../src/config.js')])
    const config = loadConfig({ ...process.env, PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL || url, LOG_LEVEL: 'silent' })
    const call = await simulateCarrierCall({
      carrier: v.carrier, url, config, to: need(v.to, '--to'), ...(v.from ? { from: v.from } : {}), ...(v.withheld ? { withheld: true } : {}),
    }).catch((error: unknown) => {
      throw new Unreachable(`cannot reach callverify at ${url} (${reasonOf(error)}): is the service running there? Set CALLVERIFY_URL if it runs elsewhere.`)
    })
    return { json: call, text: describeSimulatedCall({ ...call, callSid: call.callId }), exitCode: call.status < 300 ? 0 : 1 }
  }
  const call = await simulateCall({
    url, to: need(v.to, '--to'), ...(v.from ? { from: v.from } : {}), ...(v.withheld ? { withheld: true } : {}),
    ...(process.env.PUBLIC_BASE_URL ? { publicBaseUrl: process.env.PUBLIC_BASE_URL } : {}),
    ...(process.env.TWILIO_AUTH_TOKEN ? { authToken: process.env.TWILIO_AUTH_TOKEN } : {}),
    ...(process.env.TWILIO_ACCOUNT_SID ? { accountSid: process.env.TWILIO_ACCOUNT_SID } : {}),
  }).catch((error: unknown) => {
    throw new Unreachable(`cannot reach callverify at ${url} (${reasonOf(error)}): is the service running there? Set CALLVERIFY_URL if it runs elsewhere.`)
  })
  const hint = call.status === 403 ? ['the signature did not verify: set TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL as the service has them'] : []
  return { json: call, text: [...describeSimulatedCall(call), ...hint], exitCode: call.status < 300 ? 0 : 1 }
}

async function main(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    console.error(`callverify: ${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help || positionals.length === 0) {
    console.error(USAGE)
    return values.help ? 0 : 2
  }
  const url = values.url ?? process.env.CALLVERIFY_URL ?? 'http://localhost:3000'
  try {
    const out = positionals[0] === 'simulate-call' ? await simulate(url, values) : await admin(url, positionals, values)
    console.log(values.json ? JSON.stringify(out.json, null, 2) : out.text.join('\n'))
    return out.exitCode ?? 0
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`callverify: ${error.message}${error.showUsage ? `\n\n${USAGE}` : ''}`)
      return 2
    }
    if (error instanceof Unreachable) {
      console.error(`callverify: ${error.message}`)
      return 3
    }
    if (error instanceof ApiError) {
      if (values.json) console.log(JSON.stringify(error.body, null, 2))
      const hint = error.status === 401 ? ' (is CALLVERIFY_ADMIN_TOKEN one of the service\'s ADMIN_TOKENS?)' : error.code === 'FORCE_REQUIRED' ? ' (add --force)' : ''
      console.error(`callverify: ${error.code}: ${error.message}${hint}`)
      return 1
    }
    throw error
  }
}

process.exitCode = await main(process.argv.slice(2))
