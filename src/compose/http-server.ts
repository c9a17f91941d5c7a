// The api's Fastify server: logging, request ids, limits and timeouts, Ajv. What every request
// goes through before any plugin, so it is settled here, apart from the wiring.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import type { Config } from '../config.js';
import { AccessLogController, loggerSetup } from '../infra/logging.js';
import { ajvDecimalPlaces } from '../lib/money.js';
import { frameworkErrorHandler } from '../plugins/errors.js';
import { requestIdFrom } from '../plugins/request-context.js';

export function createServer(config: Config, logStream?: { write(line: string): void }) {
  return Fastify({
    logger: loggerSetup(config, logStream),
    genReqId: requestIdFrom,
    logController: new AccessLogController(),
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    // Reject __proto__ and constructor.prototype keys in JSON bodies (prototype poisoning).
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Bound slow or stalled clients (slowloris): headers must arrive within HEADERS_TIMEOUT and
    // the whole request within REQUEST_TIMEOUT; responses (long downloads) are not cut.
    requestTimeout: config.requestTimeout * 1000,
    http: {
      headersTimeout: config.headersTimeout * 1000,
      // How often Node checks those timeouts (its default, 30 s, would make them lax).
      connectionsCheckingInterval: Math.min(1000, config.headersTimeout * 500),
    },
    // Longer than nginx's upstream keep-alive, so the proxy closes idle connections first.
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
    // ajvDecimalPlaces: the exact two-decimals rule of money amounts (src/lib/money.ts).
    ajv: {
      customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false, strictNumbers: true },
      plugins: [ajvDecimalPlaces],
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>();
}
