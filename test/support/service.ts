import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppDeps } from '../../src/app.js'
import { loadFixture } from '../../src/carriers/twilio/fixtures.js'
import { signTwilioRequest } from '../../src/carriers/twilio/signature.js'
import { newCallSid, simulatedParams } from '../../src/carriers/twilio/simulate.js'
import { loadConfig, type Config } from '../../src/config.js'
import { storeOptions } from '../../src/main.js'
import { createMemoryStore } from '../../src/store/memory.js'
import type { Store } from '../../src/store/types.js'
import { freePort } from './global-setup.js'
import { TEST_ENV } from './app.js'
import { formBody } from './twilio.js'

// The service on a real listener with the real clock (the browser, the element and the client
// talk to it over HTTP, and windows end in real time), and a second listener on another origin
// for the bank's page and backend.

export interface Service {
  url: string
  app: FastifyInstance
  store: Store
  config: Config
  close(): Promise<void>
}

/** As `npm start` runs it, on its own port: PUBLIC_BASE_URL names that port (webhook signatures). */
export async function startService(env: Record<string, string> = {}, deps: Partial<AppDeps> = {}): Promise<Service> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const config = loadConfig({ ...TEST_ENV, PORT: String(port), HOST: '127.0.0.1', PUBLIC_BASE_URL: url, RING_DELAY_MS: '200', LOG_LEVEL: 'warn', ...env })
  const store = createMemoryStore(storeOptions(config))
  await store.ensurePoolNumbers(config.poolNumbers)
  // Always open (R12 is tested elsewhere) unless a test brings its own calendar.
  const app = await buildApp({ config, store, calendar: { rules: [] }, logger: false, ...deps })
  await app.listen({ port, host: '127.0.0.1' })
  return { url, app, store, config, close: () => app.close() } // the store closes with the app (plugins/store.ts)
}

/** What Twilio posts when `from` dials `to`, correctly signed, over HTTP; answers the TwiML status. */
export async function signedCall(service: Service, from: string | undefined, to: string): Promise<number> {
  const fixture = loadFixture('voice-matched')
  const params = simulatedParams(fixture, { accountSid: service.config.twilio.accountSid, to, ...(from === undefined ? { withheld: true } : { from }) }, newCallSid())
  const signature = signTwilioRequest(service.config.twilio.authToken, service.url + fixture.path, params)
  const res = await fetch(service.url + fixture.path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: formBody(params),
  })
  await res.text()
  return res.status
}

export interface Origin {
  url: string
  server: Server
  close(): Promise<void>
}

/** Another origin (its own port): `handle` answers every request, e.g. a bank's page and backend. */
export async function startOrigin(handle: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): Promise<Origin> {
  const server = createServer((req, res) => {
    Promise.resolve(handle(req, res)).catch((error: Error) => res.writeHead(500).end(error.message))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
}
