// Typed application errors. Services throw these (they know nothing of HTTP); the error
// plugin turns each into an RFC 9457 problem response using the status and fields here.

export interface FieldError {
  /** JSON pointer-like path of the offending value, e.g. "/body/images/0/url". */
  path: string;
  message: string;
}

export interface AppErrorOptions {
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly status: number;
  readonly title: string;
  /** Short machine-readable slug used to build the problem `type` URI. */
  readonly code: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, title: string, options: AppErrorOptions = {}) {
    super(options.detail ?? title, { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export class BadRequestError extends AppError {
  constructor(detail?: string, options: Omit<AppErrorOptions, 'detail'> = {}) {
    super(400, 'bad-request', 'Bad Request', { ...options, detail });
  }
}

export class UnauthorizedError extends AppError {
  constructor(detail = 'Authentication is required', scheme = 'Bearer') {
    super(401, 'unauthorized', 'Unauthorized', { detail, headers: { 'www-authenticate': scheme } });
  }
}

export class ForbiddenError extends AppError {
  constructor(detail = 'You are not allowed to do this') {
    super(403, 'forbidden', 'Forbidden', { detail });
  }
}

export class NotFoundError extends AppError {
  constructor(detail = 'The resource does not exist') {
    super(404, 'not-found', 'Not Found', { detail });
  }
}

export class ConflictError extends AppError {
  constructor(detail: string) {
    super(409, 'conflict', 'Conflict', { detail });
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(detail = 'The request body is too large') {
    super(413, 'payload-too-large', 'Payload Too Large', { detail });
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(detail = 'The content type is not supported') {
    super(415, 'unsupported-media-type', 'Unsupported Media Type', { detail });
  }
}

export class ValidationError extends AppError {
  constructor(errors: FieldError[], detail = 'The request is invalid') {
    super(422, 'validation-error', 'Unprocessable Content', { detail, errors });
  }
}

export class TooManyRequestsError extends AppError {
  constructor(retryAfterSeconds: number, detail = 'Too many requests, slow down') {
    super(429, 'too-many-requests', 'Too Many Requests', {
      detail,
      headers: { 'retry-after': String(Math.max(1, retryAfterSeconds)) },
    });
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(detail = 'A dependency is unavailable, try again later', retryAfterSeconds = 5) {
    super(503, 'service-unavailable', 'Service Unavailable', {
      detail,
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}
