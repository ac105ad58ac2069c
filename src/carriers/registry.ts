import type { Config } from '../config.js'
import { createBandwidthAdapter } from './bandwidth/adapter.js'
import type { CarrierAdapter } from './core.js'
import { createPlivoAdapter } from './plivo/adapter.js'
import { createSignalWireAdapter } from './signalwire/adapter.js'
import { createSipAdapter } from './sip/adapter.js'
import { createTelnyxAdapter } from './telnyx/adapter.js'
import { createTwilioAdapter } from './twilio/adapter.js'

// Every carrier adapter, by name. A factory answers null when its carrier's credentials are
// unset: that carrier is off, and /webhooks/<name>/* answers 404 like any unknown path.
export type AdapterFactory = (config: Config) => CarrierAdapter | null

export const ADAPTERS: Record<string, AdapterFactory> = {
  twilio: createTwilioAdapter,
  signalwire: createSignalWireAdapter,
  telnyx: createTelnyxAdapter,
  plivo: createPlivoAdapter,
  bandwidth: createBandwidthAdapter,
  sip: createSipAdapter,
}

/** The adapters whose carriers are on under this config. */
export function enabledAdapters(config: Config): CarrierAdapter[] {
  return Object.values(ADAPTERS).map((create) => create(config)).filter((a): a is CarrierAdapter => a !== null)
}
