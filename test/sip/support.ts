import { findKamailio, startEdge, type RunningEdge } from '../../scripts/sip-edge/edge.js'
import { KAMAILIO_INSTALL_HINT, type EdgeSettings } from '../../scripts/sip-edge/settings.js'
import { findSipp, freeSipAddress, runSipp, systemSpanInSippMs, TRUNK_IP, type SippOptions, type SippRun } from '../../scripts/sip-edge/sipp.js'

// Real processes for the SIP suites: Kamailio on sip/kamailio.cfg (through the launcher that
// `npm run sip-edge` uses) and sipp on sip/scenarios. Each edge gets its own loopback address
// (127.0.0.10–250) and port, so suites running side by side never share a socket; 127.0.0.1 is
// the trusted trunk, 127.0.0.2 an untrusted source.

// A ring is RING_DELAY_MS by the system clock Kamailio times it with: the cases compare sipp's
// timers with systemSpanInSippMs(run, RING_MS), not with RING_MS itself.
export { systemSpanInSippMs, TRUNK_IP }
export const STRANGER_IP = '127.0.0.2'
export const SIP_SHARED_SECRET = 'test-sip-shared-secret-0123456789abcdef'

export const KAMAILIO = findKamailio()
export const SIPP = findSipp()
const MISSING = [
  ...(KAMAILIO ? [] : [KAMAILIO_INSTALL_HINT]),
  ...(SIPP ? [] : ['sipp is not installed: apt-get install -y sip-tester']),
]

/**
 * Whether the SIP suites run. Outside CI a missing tool skips them with one line saying how to
 * install it; under CI=true it fails the run (CI installs both, .ci/install-sip.sh).
 */
export function sipToolsPresent(): boolean {
  if (MISSING.length === 0) return true
  if (process.env.CI === 'true') throw new Error(`SIP suite cannot run under CI: ${MISSING.join('; ')}`)
  console.warn(`SIP suite skipped: ${MISSING.join('; ')}`)
  return false
}

export interface TestEdge extends RunningEdge {
  listen: { host: string; port: number }
  /** Kamailio's stderr so far (warnings and errors only: debug=1). */
  log(): string
}

export async function startTestEdge(settings: Partial<EdgeSettings> & Pick<EdgeSettings, 'callverifyUrl' | 'ringDelayMs'>): Promise<TestEdge> {
  const listen = settings.listen ?? (await freeSipAddress())
  let log = ''
  const edge = await startEdge(
    { trustedPeers: [`${TRUNK_IP}/32`], sharedSecret: SIP_SHARED_SECRET, workers: 2, ...settings, listen },
    { kamailio: KAMAILIO!, onLog: (chunk) => (log += chunk) },
  )
  return Object.assign(edge, { listen, log: () => log })
}

/** Runs one sip/scenarios scenario with the sipp found on this machine. */
export function sipp(scenario: string, options: Omit<SippOptions, 'sipp'>): Promise<SippRun> {
  return runSipp(scenario, { ...options, sipp: SIPP! })
}

/** A caller the scenarios write in From (and P-Asserted-Identity where a case adds it). */
export function keys(caller: string, called: string, extra = 'Subject: callverify test'): Record<string, string> {
  return { caller, called, extra }
}
