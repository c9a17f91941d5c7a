import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { buildTestApp } from '../../helpers/app.js';

let app: App;

beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(() => app.close());

describe('pages and info', () => {
  it('GET / is a small HTML page linking the docs', async () => {
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('href="/docs"');
    expect(response.body).toContain('href="/openapi.json"');
  });

  it('GET /api redirects to the docs', async () => {
    const response = await app.inject({ method: 'GET', url: '/api' });
    expect(response.statusCode).toBe(308);
    expect(response.headers.location).toBe('/docs');
  });

  it('GET /api/v1/info tells name, version and environment, and no secret', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/info' });
    expect(response.json()).toEqual({
      name: 'fastify-production-template',
      version: '1.0.0',
      environment: 'test',
      docs: '/docs',
      openapi: '/openapi.json',
    });
    expect(response.body).not.toMatch(/secret|password|postgres/i);
  });
});

describe('documentation', () => {
  it('serves an OpenAPI 3.1 document that a third-party validator accepts', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents the OAuth2 password flow and API keys, and marks protected operations', async () => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(document.components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl).toBe('/api/v1/auth/token');
    expect(document.components.securitySchemes.ApiKeyHeader).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
    });
    expect(document.paths['/api/v1/users/me'].get.security).toEqual([
      { OAuth2PasswordBearer: [] },
      { ApiKeyHeader: [] },
    ]);
    // Public operations say so explicitly (no global requirement to inherit).
    expect(document.paths['/api/v1/items'].get.security).toEqual([]);
    expect(document.paths['/api/v1/items/{id}'].get.parameters[0]).toMatchObject({
      name: 'id',
      in: 'path',
      required: true,
    });
    const errorResponse = document.paths['/api/v1/items'].post.responses['422'];
    expect(Object.keys(errorResponse.content)).toEqual(['application/problem+json']);
    expect(document.paths['/api/v1/auth/token'].post.requestBody.content).toHaveProperty(
      'application/x-www-form-urlencoded',
    );
  });

  it('serves Swagger UI at /docs and a second reference at /reference', async () => {
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger-ui');
    const reference = await app.inject({ method: 'GET', url: '/reference/' });
    expect(reference.statusCode).toBe(200);
    expect(reference.body.toLowerCase()).toContain('scalar');
  });
});
