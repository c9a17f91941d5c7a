// The contract checker catches what it is meant to: a tiny app that breaks its own small
// document in each way, one route per way.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractValidator, type ContractValidator } from './contract.js';

const problem = {
  type: 'object',
  required: ['title', 'status'],
  properties: { title: { type: 'string' }, status: { type: 'integer' } },
};
const item = {
  type: 'object',
  required: ['id', 'price'],
  properties: { id: { type: 'integer' }, price: { type: 'number', 'x-decimal-places': 2 } },
};
const requestId = { 'X-Request-Id': { required: true, schema: { type: 'string' } } };

const document = {
  openapi: '3.1.0',
  info: { title: 'contract self-test', version: '1' },
  paths: {
    '/item': {
      get: {
        operationId: 'getItem',
        responses: {
          '200': {
            description: 'ok',
            headers: { ...requestId, ETag: { required: true, schema: { type: 'string' } } },
            content: { 'application/json': { schema: item } },
          },
          '304': { description: 'not modified', headers: requestId },
          '404': {
            description: 'missing',
            headers: requestId,
            content: { 'application/problem+json': { schema: problem } },
          },
        },
      },
    },
    '/download': {
      get: {
        operationId: 'download',
        responses: {
          '200': {
            description: 'bytes',
            headers: requestId,
            content: { 'image/*': { schema: { type: 'string', format: 'binary' } } },
          },
        },
      },
    },
  },
};

let server: FastifyInstance;
let contract: ContractValidator;

/** Each query value makes /item answer in one broken (or correct) way. */
beforeAll(async () => {
  server = Fastify();
  server.get('/item', async (request, reply) => {
    const how = (request.query as { how: string }).how;
    reply.header('x-request-id', 'r1');
    if (how !== 'no-etag') reply.header('etag', '"1"');
    switch (how) {
      case 'ok':
      case 'no-etag':
        return { id: 1, price: 19.99 };
      case 'three-decimals':
        return { id: 1, price: 19.999 };
      case 'wrong-type':
        return reply.type('text/html').send('<p>hi</p>');
      case 'null-304':
        return reply.code(304).send(null); // what the app did: content-type and a 4-byte `null`
      case 'bad-problem':
        return reply
          .code(404)
          .type('application/problem+json')
          .send({ title: 'Not Found', status: 'four hundred four' });
      case 'teapot':
        return reply.code(418).send({});
      default:
        return reply.code(304).send();
    }
  });
  server.get('/download', async (_request, reply) =>
    reply.header('x-request-id', 'r2').type('image/png').send(Buffer.from('png')),
  );
  contract = await contractValidator(document);
});
afterAll(() => server.close());

const check = async (url: string) =>
  contract.check({ method: 'GET', url }, await server.inject({ method: 'GET', url })).problems.join('\n');

describe('contractValidator', () => {
  it('passes responses that honour the document, media ranges included', async () => {
    expect(await check('/item?how=ok')).toBe('');
    expect(await check('/item?how=empty-304')).toBe('');
    expect(await check('/download')).toBe('');
  });

  it.each([
    ['no-etag', 'required header ETag is missing'],
    ['three-decimals', 'body/price must have at most 2 decimals'],
    ['wrong-type', 'Content-Type "text/html" is not documented'],
    ['null-304', 'content-length "4" on a response without content'],
    ['bad-problem', 'body/status must be integer'],
    ['teapot', 'status 418 is not documented'],
  ])('reports %s', async (how, message) => {
    expect(await check(`/item?how=${how}`)).toContain(message);
  });

  it('reports the content type of a 304', async () => {
    expect(await check('/item?how=null-304')).toContain(
      'content-type "application/json; charset=utf-8" on a response without content',
    );
  });

  it('reports an undocumented operation', async () => {
    expect(
      contract.check({ method: 'POST', url: '/item' }, await server.inject({ method: 'GET', url: '/item?how=ok' }))
        .problems,
    ).toEqual(['POST /item -> 200: no documented operation']);
  });
});
