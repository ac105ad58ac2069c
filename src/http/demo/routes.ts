import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest, LightMyRequestResponse } from 'fastify'
import type { Config } from '../../config.js'
import { CallverifyError } from '../../domain/errors.js'
import { maskPhoneNumber, normalizeRegisteredNumber } from '../../domain/phone.js'
import { signTwilioRequest } from '../../carriers/twilio/signature.js'
import { AssetParams, MaskedNumber, PhoneNumberBody, SimulateCallBody, VerificationParams } from './schemas.js'
import { RegisteredNumbers, formBody, inboundCallParams } from './simulate.js'
import { loadAssets, PAGE_HEADERS, sendAsset } from '../static.js'

// GET /demo: a thin bank page around <callverify-call> (GET /sdk/callverify.js), with the small
// backend a bank's auth frontend needs. The backend holds the `demo` tenant's API key; the
// browser only ever gets the verification id and its poll token. Every call to /v1 goes
// through app.inject, so the demo speaks the contract exactly as a bank's backend would.
// Its own routes take JSON only (no form bodies).

// Beside this file in src/, and copied beside the JS into dist/ by scripts/copy-assets.mjs.
const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url))

function bearer(request: FastifyRequest): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1]
}

function refuse(reply: FastifyReply, error: CallverifyError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds))
  return reply.code(error.status).send(error.toBody())
}

/** An answer from /v1 goes back to the browser as it came: status, body, Retry-After. */
function relay(reply: FastifyReply, res: LightMyRequestResponse): FastifyReply {
  const retryAfter = res.headers['retry-after']
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter))
  return reply
    .code(res.statusCode)
    .type(String(res.headers['content-type'] ?? 'application/json; charset=utf-8'))
    .send(res.payload)
}

export interface DemoOptions {
  /** The `demo` tenant's API key (config.ts adds one in dev): the demo backend's own, never a bank's. */
  apiKey: string
}

export default async function demoRoutes(app: FastifyInstance, { apiKey }: DemoOptions): Promise<void> {
  // app.ts decorates the root with the config; the demo only reads it.
  const config: Config | undefined = app.config
  if (!config) throw new Error('demoRoutes needs app.decorate("config", config) before it is registered')
  // Simulated calls prove nothing about a phone: never where a real customer could use them.
  const simulate = !config.production

  const assets = loadAssets(PUBLIC_DIR)
  const template = readFileSync(join(PUBLIC_DIR, 'index.html'), 'utf8')
  const page = template.replaceAll('{{base}}', app.prefix).replaceAll('{{simulate}}', String(simulate))
  const registered = new RegisteredNumbers()

  /** A /v1 call as the bank's backend (API key) or as the customer's browser (poll token). */
  function callV1(request: FastifyRequest, method: 'GET' | 'POST', url: string, credential: string, body?: unknown) {
    return app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${credential}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      // Per-address rate limits then count the customer, not the demo backend.
      remoteAddress: request.ip,
    })
  }

  app.get('/', async (_request, reply) => reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(page))

  app.get<{ Params: AssetParams }>('/assets/*', { schema: { params: AssetParams } }, async (request, reply) => {
    const asset = assets.get(request.params['*'])
    if (!asset) return refuse(reply, new CallverifyError('NOT_FOUND'))
    return sendAsset(reply, asset)
  })

  // Stands in for screen ②'s check: the number entered, masked for screen ③ (R1, R14).
  app.post<{ Body: PhoneNumberBody }>(
    '/api/check',
    { schema: { body: PhoneNumberBody, response: { 200: MaskedNumber } } },
    async (request, reply) => {
      try {
        return { masked: maskPhoneNumber(normalizeRegisteredNumber(request.body.phoneNumber)) }
      } catch (error) {
        if (error instanceof CallverifyError) return refuse(reply, error)
        throw error
      }
    },
  )

  // 電話番号の決定 on screen ③: the window (R3) opens as screen ④ appears.
  app.post<{ Body: PhoneNumberBody }>('/api/start', { schema: { body: PhoneNumberBody } }, async (request, reply) => {
    const { phoneNumber } = request.body
    const res = await callV1(request, 'POST', '/v1/verifications', apiKey, { phoneNumber, reference: 'demo' })
    if (res.statusCode === 201) registered.remember(res.json<{ id: string }>().id, normalizeRegisteredNumber(phoneNumber))
    return relay(reply, res)
  })

  // 確定する: only the holder of the verification's poll token may have the backend confirm it.
  app.post<{ Params: VerificationParams }>(
    '/api/confirm/:id',
    { schema: { params: VerificationParams } },
    async (request, reply) => {
      const token = bearer(request)
      if (!token) return refuse(reply, new CallverifyError('UNAUTHORIZED'))
      const path = `/v1/verifications/${encodeURIComponent(request.params.id)}`
      const owned = await callV1(request, 'GET', path, token)
      if (owned.statusCode !== 200) return relay(reply, owned)
      return relay(reply, await callV1(request, 'POST', `${path}/confirm`, apiKey))
    },
  )

  if (simulate) {
    // Dev only: what the carrier posts when the customer dials (R4) or dials withheld (R5).
    app.post<{ Body: SimulateCallBody }>('/api/simulate-call', { schema: { body: SimulateCallBody } }, async (request, reply) => {
      const token = bearer(request)
      if (!token) return refuse(reply, new CallverifyError('UNAUTHORIZED'))
      const { id, withheld = false } = request.body
      const found = await callV1(request, 'GET', `/v1/verifications/${encodeURIComponent(id)}`, token)
      if (found.statusCode !== 200) return relay(reply, found)
      const caller = registered.lookup(id)
      if (!caller) return refuse(reply, new CallverifyError('NOT_FOUND', {}, { message: 'This demo backend did not start that verification' }))

      const to = found.json<{ verificationNumber: { e164: string } }>().verificationNumber.e164
      const params = inboundCallParams({ accountSid: config.twilio.accountSid, from: withheld ? undefined : caller, to })
      const url = '/webhooks/twilio/voice'
      const signature = signTwilioRequest(config.twilio.authToken, `${config.publicBaseUrl}${url}`, params)
      // The webhook holds its answer for RING_DELAY_MS (R6); the browser learns the outcome
      // from the status stream, so nobody waits for the ringing here.
      void app
        .inject({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
          payload: formBody(params),
        })
        .then((res) => {
          if (res.statusCode !== 200) request.log.warn({ statusCode: res.statusCode }, 'demo: simulated call refused by the voice webhook')
        })
        .catch((error: unknown) => request.log.error({ err: error }, 'demo: simulated call failed'))
      return reply.code(202).send({ accepted: true, withheld })
    })
  }
}
