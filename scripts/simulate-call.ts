import { parseArgs } from 'node:util'
import { loadConfig } from '../src/config.js'
import { simulateCarrierCall } from '../src/carriers/simulate.js'
import { describeSimulatedCall } from '../src/carriers/twilio/simulate.js'

// npm run simulate-call -- --from 09012345678 --to +81120000001 [--carrier plivo]
//   [--url http://localhost:3000] [--withheld] [--fixture voice-matched]
// Posts what the carrier (default twilio) would post for that call, from its fixture under
// webhooks/<carrier>/, signed with the service's credentials from the environment (dev values by
// default) against PUBLIC_BASE_URL (default: --url), and prints the answer and how long it took.

const USAGE = 'usage: simulate-call --from <caller> --to <pool number> [--carrier twilio|signalwire|telnyx|plivo|bandwidth] [--url <service>] [--withheld] [--fixture <name>]'

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      carrier: { type: 'string', default: 'twilio' },
      url: { type: 'string', default: process.env.CALLVERIFY_URL || 'http://localhost:3000' },
      withheld: { type: 'boolean', default: false },
      fixture: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help || (!values.from && !values.withheld) || !values.to) {
    console.error(USAGE)
    return values.help ? 0 : 64 // EX_USAGE
  }
  const config = loadConfig({ ...process.env, PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL || values.url, LOG_LEVEL: 'silent' })
  const call = await simulateCarrierCall({
    carrier: values.carrier, to: values.to, withheld: values.withheld, url: values.url, config,
    ...(values.from !== undefined ? { from: values.from } : {}), ...(values.fixture !== undefined ? { fixture: values.fixture } : {}),
  })
  for (const line of describeSimulatedCall({ ...call, callSid: call.callId })) console.log(line)
  return call.status < 300 ? 0 : 1
}

try {
  process.exitCode = await main()
} catch (error) {
  console.error(`simulate-call: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
}
