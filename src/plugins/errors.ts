// One error handler for the whole app: every error becomes an RFC 9457 problem document
// (application/problem+json) with the request id, so a client can quote it and an operator
// can find the log line. 5xx bodies never say what went wrong inside. Every way an error can
// arise (ours, Ajv's, Fastify's framework errors, the parsers') is mapped here, in one place
// that a reader checks as a whole, hence about 230 lines.
import type { FastifyError, FastifyReply, FastifyRequest, preParsingAsyncHookHandler, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { isDatabaseUnavailable } from '../db/errors.js';
import { AppError, UnsupportedMediaTypeError, ValidationError, type FieldError } from '../lib/errors.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance: string;
  requestId: string;
  errors?: FieldError[];
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const CONTEXT_PREFIX: Record<string, string> = {
  querystring: '/query',
  params: '/params',
  body: '/body',
  headers: '/headers',
};

interface AjvIssue {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** Turns Ajv issues into `{ path, message }` with paths rooted at the request part. */
function fieldErrors(issues: AjvIssue[], context: string | undefined): FieldError[] {
  const root = CONTEXT_PREFIX[context ?? ''] ?? '';
  return issues.map((issue) => {
    let path = root + issue.instancePath;
    if (issue.keyword === 'required' && typeof issue.params.missingProperty === 'string') {
      path += `/${issue.params.missingProperty}`;
    }
    if (issue.keyword === 'additionalProperties' && typeof issue.params.additionalProperty === 'string') {
      path += `/${issue.params.additionalProperty}`;
    }
    return { path: path || '/', message: issue.message ?? 'is invalid' };
  });
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  fields: { code?: string; title?: string; detail?: string; errors?: FieldError[] } = {},
) {
  const title = fields.title ?? STATUS_TITLES[status] ?? 'Error';
  const code = fields.code ?? title.toLowerCase().replace(/[^a-z]+/g, '-');
  const problem: Problem = {
    type: `/problems/${code}`,
    title,
    status,
    ...(fields.detail ? { detail: fields.detail } : {}),
    instance: request.url.split('?')[0] ?? request.url,
    requestId: request.id,
    ...(fields.errors ? { errors: fields.errors } : {}),
  };
  // The route's response schema does not describe problems; serialize it ourselves.
  return reply
    .header('x-request-id', request.id)
    .code(status)
    .type('application/problem+json; charset=utf-8')
    .serializer(JSON.stringify)
    .send(problem);
}

function classify(error: FastifyError & { validation?: AjvIssue[]; validationContext?: string }): {
  status: number;
  code?: string;
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
} {
  if (error instanceof AppError) {
    return {
      status: error.status,
      code: error.code,
      detail: error.detail,
      errors: error.errors,
      headers: error.headers,
    };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      status: 503,
      code: 'service-unavailable',
      detail: 'The database is unavailable, try again shortly',
      headers: { 'retry-after': '5' },
    };
  }
  if (error.validation) {
    return {
      status: 422,
      code: 'validation-error',
      detail: 'The request is invalid',
      errors: fieldErrors(error.validation, error.validationContext),
    };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'malformed-body', detail: 'The body is not valid JSON' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, detail: 'The content type is not supported by this endpoint' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return { status: 413, detail: 'The request body is too large' };
  }
  // secure-json-parse rejects __proto__ and constructor.prototype keys with a SyntaxError.
  if (error instanceof SyntaxError)
    return { status: 400, code: 'malformed-body', detail: 'The body is not valid JSON' };
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, detail: error.message };
  return { status: 500 };
}

/** The media type of a Content-Type header, without parameters, lower-case. */
const mediaTypeOf = (header: string | undefined) => (header ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';

/**
 * JSON routes accept JSON only: without this, Fastify's text/plain parser hands a string to a
 * JSON schema (a confusing 422) and a route of a plugin that registered the form parser takes
 * forms it does not document. A route that takes other types lists them in `schema.consumes`
 * (the OAuth2 token endpoint: forms; uploads: multipart), which the document shows. Checked
 * before the body is parsed, only when there is a body.
 */
export function mediaTypeGuard(route: RouteOptions): preParsingAsyncHookHandler | undefined {
  const schema = route.schema as { consumes?: string[]; hide?: boolean } | undefined;
  if (!schema || schema.hide) return undefined;
  const accepted = new Set((schema.consumes ?? ['application/json']).map((type) => type.toLowerCase()));
  return async (request, _reply, payload) => {
    const hasBody =
      request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
    if (hasBody && !accepted.has(mediaTypeOf(request.headers['content-type']))) {
      throw new UnsupportedMediaTypeError(`This endpoint accepts ${[...accepted].join(', ')}`);
    }
    return payload;
  };
}

/**
 * Errors the router raises before any route or hook runs (a malformed URL, a path parameter
 * over maxParamLength): Fastify hands them to this function instead of the error handler.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
  return sendProblem(request, reply, status, {
    detail: status === 414 ? 'A path parameter is too long' : 'The URL is malformed',
  });
}

export default fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const problem = classify(error);
      if (problem.status >= 500) {
        request.log.error({ err: error }, 'request failed');
      } else {
        request.log.info({ status: problem.status, code: problem.code ?? error.code }, error.message);
      }
      for (const [name, value] of Object.entries(problem.headers ?? {})) reply.header(name, value);
      if (problem.status === 401 && !reply.hasHeader('www-authenticate')) reply.header('www-authenticate', 'Bearer');
      if (problem.status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '5');
      return sendProblem(
        request,
        reply,
        problem.status,
        problem.status >= 500
          ? { detail: problem.status === 503 ? problem.detail : undefined, code: problem.code }
          : problem,
      );
    });

    // Ajv's type coercion turns "1e309" into Infinity *after* its number checks, so a path or
    // query value like that passes `integer` and `maximum`. Refuse non-finite numbers here,
    // once validation (and coercion) is done.
    app.addHook('preHandler', async (request) => {
      const errors: FieldError[] = [];
      for (const [part, values] of [
        ['params', request.params],
        ['query', request.query],
      ] as const) {
        if (!values || typeof values !== 'object') continue;
        for (const [name, value] of Object.entries(values)) {
          const numbers = Array.isArray(value) ? value : [value];
          if (numbers.some((n) => typeof n === 'number' && !Number.isFinite(n)))
            errors.push({ path: `/${part}/${name}`, message: 'must be a finite number' });
        }
      }
      if (errors.length > 0) throw new ValidationError(errors);
    });

    app.addHook('onRoute', (route) => {
      const guard = mediaTypeGuard(route);
      if (!guard) return;
      const existing = route.preParsing ?? [];
      route.preParsing = [guard, ...(Array.isArray(existing) ? existing : [existing])];
    });

    app.setNotFoundHandler((request, reply) =>
      sendProblem(request, reply, 404, { detail: `No route for ${request.method} ${request.url.split('?')[0]}` }),
    );
  },
  { name: 'errors' },
);
