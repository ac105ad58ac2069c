import { findKamailio, startEdge } from './sip-edge/edge.js'
import { KAMAILIO_INSTALL_HINT, parseEdgeSettings, socketName } from './sip-edge/settings.js'

// `npm run sip-edge`: the SIP trunk's edge (Kamailio on sip/kamailio.cfg) in the foreground.
// One line once it answers; Kamailio's own warnings and errors follow on stderr.

async function main(): Promise<number> {
  let settings
  try {
    settings = parseEdgeSettings(process.env)
  } catch (error) {
    console.error((error as Error).message)
    return 2
  }
  const kamailio = findKamailio()
  if (!kamailio) {
    console.error(`sip-edge: ${KAMAILIO_INSTALL_HINT}`)
    return 2
  }
  const edge = await startEdge(settings, { kamailio })
  const at = `${socketName('udp', settings.listen)} and ${socketName('tcp', settings.listen)}`
  console.log(
    `sip-edge: listening on ${at} for ${settings.trustedPeers.join(', ')}; ring ${settings.ringDelayMs} ms, then 486; reporting to ${settings.callverifyUrl}/webhooks/sip/invite`,
  )
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void edge.stop())
  const code = await edge.exited
  return code ?? 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error((error as Error).message)
    process.exit(1)
  },
)
