import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { CallverifyError, INTERNAL_ERROR, INTERNAL_ERROR_CODE } from '../domain/errors.js'
import { errorSummary } from '../logging.js'

// The one error handler (fastify/demo): contract errors as they are; schema and framework
// errors as INVALID_REQUEST in the contract's shape; anything else a fixed 500 text, with the
// detail in the log only.

export function sendError(reply: FastifyReply, error: CallverifyError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds))
  return reply.code(error.status).type('application/json; charset=utf-8').send(error.toBody())
}

function validationError(error: FastifyError): CallverifyError {
  const details = (error.validation ?? []).map((v) => ({
    path: `${error.validationContext ?? 'body'}${v.instancePath || ''}`,
    message: v.message ?? 'is invalid',
  }))
  return new CallverifyError('INVALID_REQUEST', { details }, { message: `Invalid request: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}` })
}

export function toContractError(error: FastifyError | Error): CallverifyError | undefined {
  if (error instanceof CallverifyError) return error
  const fe = error as FastifyError
  if (fe.validation) return validationError(fe)
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Framework refusals (bad JSON, wrong content type, body too large): their message is safe.
    return new CallverifyError('INVALID_REQUEST', {}, { message: fe.message, status: fe.statusCode })
  }
  return undefined
}

export function errorHandler(this: FastifyInstance, error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const contract = toContractError(error)
  if (contract) {
    // Ops learn why the store refused (OOM, READONLY, …) from the log, never the client.
    if (contract.code === 'STORE_UNAVAILABLE') request.log.warn({ err: errorSummary(contract) }, 'store unavailable')
    return sendError(reply, contract)
  }
  request.log.error({ err: errorSummary(error) }, 'unhandled error')
  return reply
    .code(INTERNAL_ERROR.status)
    .send({ error: { code: INTERNAL_ERROR_CODE, message: INTERNAL_ERROR.message, messageJa: INTERNAL_ERROR.messageJa } })
}

export function notFoundHandler(_request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, new CallverifyError('NOT_FOUND', {}, { message: 'No such route' }))
}
