import { parseArgs } from 'node:util'
import { describeSimulatedCall, simulateCall } from '../src/carriers/twilio/simulate.js'

// npm run simulate-call -- --from 09012345678 --to +81120000001 [--url http://localhost:3000]
//   [--withheld] [--fixture voice-matched]
// Posts what Twilio would post for that call, signed with TWILIO_AUTH_TOKEN (dev default)
// against PUBLIC_BASE_URL (default: --url), and prints the answer and how long it took.

const USAGE = 'usage: simulate-call --from <caller> --to <pool number> [--url <service>] [--withheld] [--fixture <name>]'

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      url: { type: 'string', default: process.env.CALLVERIFY_URL || 'http://localhost:3000' },
      withheld: { type: 'boolean', default: false },
      fixture: { type: 'string', default: 'voice-matched' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help || (!values.from && !values.withheld) || !values.to) {
    console.error(USAGE)
    return values.help ? 0 : 64 // EX_USAGE
  }
  const call = await simulateCall({
    ...values,
    ...(process.env.PUBLIC_BASE_URL ? { publicBaseUrl: process.env.PUBLIC_BASE_URL } : {}),
    ...(process.env.TWILIO_AUTH_TOKEN ? { authToken: process.env.TWILIO_AUTH_TOKEN } : {}),
    ...(process.env.TWILIO_ACCOUNT_SID ? { accountSid: process.env.TWILIO_ACCOUNT_SID } : {}),
  })
  for (const line of describeSimulatedCall(call)) console.log(line)
  return call.status < 300 ? 0 : 1
}

try {
  process.exitCode = await main()
} catch (error) {
  console.error(`simulate-call: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
}
