// The one logger interface below the composition roots. Services, repositories and
// infrastructure take a `Logger`; pino's loggers (Fastify's `app.log`, `request.log`, the
// worker's logger) satisfy it, and a test can pass any object with these four methods.
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}
