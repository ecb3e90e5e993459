// Every error ends as an answer fit for its caller: JSON under /api/ and /webhooks/, an HTML
// fragment for htmx, a full page otherwise. Users never see a stack trace; 5xx are logged with
// the request id, which the page shows so a report can be matched to the log.
import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, BadInputError, CodedBadInputError, ValidationError } from '../errors.js';
import { isMachineRoute, isReplyCodeRoute } from './route-path.js';


const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Please sign in',
  403: 'Not allowed',
  404: 'Page not found',
  413: 'Too large',
  415: 'Unsupported content',
  422: 'Please check your input',
  429: 'Too many requests',
};

function codeFor(status: number, error: Partial<FastifyError & AppError>): string {
  if (error instanceof AppError) return error.code;
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status === 429) return 'rate_limited';
  if (status === 403) return 'forbidden';
  if (status >= 500) return 'internal';
  return 'bad_request';
}

/** API v2's reply code for a refusal (0 is success): the reference product's where it has one
 * (1 unknown key, 1001 invalid parameters, 1010 a body that is not JSON, and the codes an error
 * names itself), otherwise the HTTP status (404, 413, 429...). README "API v2" lists them. */
function replyCodeFor(status: number, error: Partial<FastifyError & AppError>): number {
  if (error instanceof CodedBadInputError) return error.replyCode;
  if (status === 401) return 1;
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 1010;
  if (status === 400 || error instanceof ValidationError) return 1001;
  return status;
}

export async function sendError(request: FastifyRequest, reply: FastifyReply, status: number, error: Partial<FastifyError & AppError>) {
  const safeMessage = status >= 500 ? `Something went wrong on our side. Reference: ${request.id}` : error.message || TITLES[status] || 'Request refused';
  if (isMachineRoute(request)) {
    const body: Record<string, unknown> = { code: codeFor(status, error), message: safeMessage };
    if (error instanceof ValidationError || error instanceof BadInputError) body.fields = error.fields;
    const envelope = isReplyCodeRoute(request) ? { replyCode: replyCodeFor(status, error), replyText: safeMessage } : {};
    return reply.code(status).type('application/json').send({ ...envelope, error: body });
  }
  const title = TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'Request refused');
  if (request.headers['hx-request'] === 'true' && !String(request.headers['hx-target'] ?? '').startsWith('main#')) {
    const html = await reply.viewAsync('errors/fragment', { status, title, message: safeMessage });
    return reply.code(status).type('text/html; charset=utf-8').send(html);
  }
  return reply.page('errors/page', { status, message: safeMessage }, { title, status });
}

export const errorsPlugin = fp(async (app) => {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = error instanceof AppError ? error.statusCode : error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status, code: error.code, msg: error.message }, 'request refused');
    try {
      return await sendError(request, reply, status, error);
    } catch (renderError) {
      request.log.error({ err: renderError }, 'error page failed to render');
      return reply.code(status).type('text/plain; charset=utf-8').send(status >= 500 ? `Something went wrong. Reference: ${request.id}` : error.message);
    }
  });
  app.setNotFoundHandler(async (request, reply) => {
    return sendError(request, reply, 404, { message: `There is nothing at ${request.url.split('?')[0]}.` });
  });
});
