// Checks real responses against the app's own OpenAPI document with openapi-backend (a
// maintained OpenAPI 3.0/3.1 router and Ajv-based validator): the operation must be documented,
// the status documented for it, the Content-Type one of the documented media types (none for a
// response without content), the JSON body valid against the documented schema, and the headers
// valid against the documented header schemas, the required ones present.
//
// Two adapters, both for limits of openapi-backend, not of the document:
// - its Ajv is draft-07; the document is OpenAPI 3.1 (JSON Schema 2020-12), so customizeAjv
//   swaps in Ajv2020 with the formats and the app's own `x-decimal-places` keyword;
// - it validates bodies of `application/json` only, so the validator gets a view of the document
//   where each `+json` media type (application/problem+json) is also listed under
//   application/json, marked `x-alias-of`. The Content-Type check reads the real media types.
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { OpenAPIBackend, type Document } from 'openapi-backend';
import type { App } from '../../src/compose/api.js';
import { ajvDecimalPlaces } from '../../src/lib/money.js';

type Response = Awaited<ReturnType<App['inject']>>;

type Json = Record<string, unknown>;
interface MediaObject {
  schema?: Json;
  'x-alias-of'?: string;
}
interface ResponseObject {
  content?: Record<string, MediaObject>;
  headers?: Record<string, { required?: boolean; schema?: Json }>;
}

const ALIAS = 'x-alias-of';
const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json');
const mediaTypeOf = (header: unknown) =>
  String(header ?? '')
    .split(';', 1)[0]
    ?.trim()
    .toLowerCase() ?? '';
const matchesRange = (range: string, mediaType: string) =>
  range === mediaType || range === '*/*' || (range.endsWith('/*') && mediaType.startsWith(range.slice(0, -1)));

/** Lists each `+json` body under application/json too (see the header comment). */
function validatorView(document: Json): Json {
  const view = structuredClone(document);
  const visit = (node: unknown) => {
    if (typeof node !== 'object' || node === null) return;
    const content = (node as { content?: unknown }).content;
    if (content && typeof content === 'object' && !Array.isArray(content)) {
      const media = content as Record<string, MediaObject>;
      const jsonLike = Object.keys(media).filter((type) => isJson(type) && type !== 'application/json');
      if (!media['application/json'] && jsonLike.length === 1)
        media['application/json'] = { ...media[jsonLike[0] as string], [ALIAS]: jsonLike[0] };
    }
    for (const value of Object.values(node)) visit(value);
  };
  visit((view as { paths?: unknown }).paths);
  visit((view as { components?: { responses?: unknown } }).components?.responses);
  return view;
}

export interface ContractValidator {
  /** Problems of one response (empty when it honours the document) and the operation it matched. */
  check(request: { method: string; url: string }, response: Response): { operationId?: string; problems: string[] };
}

export async function contractValidator(document: Json): Promise<ContractValidator> {
  const api = new OpenAPIBackend({
    definition: validatorView(document) as unknown as Document,
    // Fail on a document it cannot read instead of warning.
    strict: true,
    customizeAjv: (_draft07, options) => {
      const ajv = new Ajv2020({ ...options, strict: false, allErrors: true });
      ajvFormats.default(ajv);
      return ajvDecimalPlaces(ajv) as never;
    },
  });
  await api.init();

  return {
    check({ method, url }, response) {
      const [path = '', query = ''] = url.split('?');
      const where = `${method} ${path} -> ${response.statusCode}`;
      const operation = api.matchOperation({ method: method.toLowerCase(), path, query, headers: {} });
      if (!operation?.operationId) return { problems: [`${where}: no documented operation`] };
      const status = String(response.statusCode);
      const documented = (operation.responses as Record<string, ResponseObject> | undefined)?.[status];
      if (!documented)
        return {
          operationId: operation.operationId,
          problems: [
            `${where}: status ${status} is not documented (${Object.keys(operation.responses ?? {}).join(', ')})`,
          ],
        };

      const problems: string[] = [];
      const mediaType = mediaTypeOf(response.headers['content-type']);
      const mediaTypes = Object.entries(documented.content ?? {})
        .filter(([, media]) => media[ALIAS] === undefined)
        .map(([type]) => type);
      if (mediaTypes.length === 0) {
        // No content documented (204, 304): no body and no content headers.
        if (response.rawPayload.length > 0) problems.push(`${where}: a body where none is documented`);
        for (const name of ['content-type', 'content-length']) {
          if (response.headers[name] !== undefined)
            problems.push(`${where}: ${name} "${String(response.headers[name])}" on a response without content`);
        }
      } else if (!mediaTypes.some((range) => matchesRange(range, mediaType))) {
        problems.push(`${where}: Content-Type "${mediaType}" is not documented (${mediaTypes.join(', ')})`);
      } else if (isJson(mediaType) && method !== 'HEAD') {
        const body: unknown = JSON.parse(response.body);
        const result = api.validateResponse(body, operation, response.statusCode);
        for (const error of result.errors ?? [])
          problems.push(`${where}: body${error.instancePath} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
      }

      const headers = api.validateResponseHeaders(response.headers, operation, {
        statusCode: response.statusCode,
        setMatchType: 'any' as never,
      });
      for (const error of headers.errors ?? [])
        problems.push(`${where}: header${error.instancePath} ${error.message ?? ''}`);
      for (const [name, header] of Object.entries(documented.headers ?? {})) {
        if (header.required && response.headers[name.toLowerCase()] === undefined)
          problems.push(`${where}: required header ${name} is missing`);
      }
      return { operationId: operation.operationId, problems };
    },
  };
}
