import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Callverify, verifyCallbackSignature, type CallbackEvent } from '../../src/client/index.js'
import { startOrigin, startService, type Origin, type Service } from '../support/service.js'
import { waitUntil } from '../jobs/support/receiver.js'

// verifyCallbackSignature on callbacks the service really sent (jobs in-process, HTTP to a
// receiver on another listener), for a tenant in the middle of a key rotation: two keys, one
// v1= each. Then tampered bodies and signatures, stale timestamps, keys it never had.

const OLD_KEY = 'old-key-of-the-bank-0123456789abcd'
const NEW_KEY = 'new-key-of-the-bank-0123456789abcd'

interface Delivery { rawBody: string; signature: string; eventId: string }

describe('verifyCallbackSignature — a real callback', () => {
  let service: Service
  let receiver: Origin
  const deliveries: Delivery[] = []
  let delivery: Delivery

  beforeAll(async () => {
    receiver = await startOrigin(async (req, res) => {
      let rawBody = ''
      for await (const chunk of req) rawBody += String(chunk)
      deliveries.push({ rawBody, signature: String(req.headers['callverify-signature']), eventId: String(req.headers['callverify-event-id']) })
      res.writeHead(204).end()
    })
    service = await startService({ API_KEYS: `bank:${OLD_KEY},bank:${NEW_KEY}` })
    const cv = new Callverify({ baseUrl: service.url, apiKey: NEW_KEY })
    const v = await cv.create({ phoneNumber: '09012345678', callbackUrl: `${receiver.url}/callverify` })
    await cv.cancel(v.id)
    await waitUntil(() => deliveries.length > 0, 10_000, 'the cancelled callback')
    if (deliveries.length !== 1) throw new Error(`expected one callback, got ${deliveries.length}`)
    delivery = deliveries[0]!
  })
  afterAll(async () => {
    await service?.close()
    await receiver?.close()
  })

  const t = () => Number(/t=(\d+)/.exec(delivery.signature)![1])

  it('accepts the signature under either key of the rotation, and under both', () => {
    const event = JSON.parse(delivery.rawBody) as CallbackEvent
    expect(event.type).toBe('verification.cancelled')
    expect(delivery.signature.match(/v1=/g)).toHaveLength(2)
    for (const apiKeys of [[OLD_KEY], [NEW_KEY], [OLD_KEY, NEW_KEY], ['some-other-key', NEW_KEY]]) {
      expect(verifyCallbackSignature({ rawBody: delivery.rawBody, signature: delivery.signature, apiKeys }), apiKeys.join()).toBe(true)
    }
    // As bytes too (a raw Buffer body from the receiver's framework).
    expect(verifyCallbackSignature({ rawBody: Buffer.from(delivery.rawBody), signature: delivery.signature, apiKeys: [NEW_KEY] })).toBe(true)
  })

  it('refuses a key it was not signed with, and no key at all', () => {
    expect(verifyCallbackSignature({ rawBody: delivery.rawBody, signature: delivery.signature, apiKeys: ['the-wrong-key-0123456789abcdef'] })).toBe(false)
    expect(verifyCallbackSignature({ rawBody: delivery.rawBody, signature: delivery.signature, apiKeys: [] })).toBe(false)
  })

  it('refuses a tampered body, a tampered signature, and a timestamp moved', () => {
    const tampered = delivery.rawBody.replace('"cancelled"', '"confirmed"')
    expect(tampered).not.toBe(delivery.rawBody)
    expect(verifyCallbackSignature({ rawBody: tampered, signature: delivery.signature, apiKeys: [NEW_KEY] })).toBe(false)
    const flipped = delivery.signature.replace(/v1=([0-9a-f])/g, (_m, c: string) => `v1=${c === '0' ? '1' : '0'}`)
    expect(verifyCallbackSignature({ rawBody: delivery.rawBody, signature: flipped, apiKeys: [NEW_KEY] })).toBe(false)
    const moved = delivery.signature.replace(/t=(\d+)/, (_m, s: string) => `t=${Number(s) - 1}`)
    expect(verifyCallbackSignature({ rawBody: delivery.rawBody, signature: moved, apiKeys: [NEW_KEY] })).toBe(false)
  })

  it('refuses a stale or future signature past toleranceSeconds (default 300)', () => {
    const check = (nowS: number, toleranceSeconds?: number) =>
      verifyCallbackSignature({ rawBody: delivery.rawBody, signature: delivery.signature, apiKeys: [NEW_KEY], now: nowS * 1000, ...(toleranceSeconds === undefined ? {} : { toleranceSeconds }) })
    expect(check(t() + 300)).toBe(true)
    expect(check(t() + 301)).toBe(false)
    expect(check(t() - 301)).toBe(false)
    expect(check(t() + 30, 10)).toBe(false)
    expect(check(t() + 30, 60)).toBe(true)
  })

  it('refuses malformed headers', () => {
    const v1 = /v1=[0-9a-f]{64}/.exec(delivery.signature)![0]
    for (const signature of [undefined, null, '', v1, `t=abc,${v1}`, `t=${t()},t=${t()},${v1}`, `t=${t()}`, `t=${t()},v1=zz`]) {
      expect(verifyCallbackSignature({ rawBody: delivery.rawBody, signature, apiKeys: [NEW_KEY] }), String(signature)).toBe(false)
    }
  })
})
