// /metrics: Prometheus text behind HTTP Basic; requests labelled by route pattern.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { basicCredentials } from '../../src/plugins/metrics.js';
import { buildTestApp, problemOf } from '../helpers/app.js';
import { randomIp } from '../helpers/factories/clients.js';
import { createItem } from '../helpers/factories/items.js';
import { createUser } from '../helpers/factories/users.js';

let app: App;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

beforeAll(async () => {
  app = await buildTestApp({ env: { METRICS_USERNAME: 'scraper', METRICS_PASSWORD: 'scrape-secret-123' } });
});
afterAll(() => app.close());

const scrape = () =>
  app.inject({ method: 'GET', url: '/metrics', headers: { authorization: basic('scraper', 'scrape-secret-123') } });

describe('GET /metrics', () => {
  it('serves Prometheus text with default metrics for the right credentials', async () => {
    const response = await scrape();
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.body).toMatch(/^process_cpu_user_seconds_total /m);
    expect(response.body).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(response.body).toContain('# TYPE http_requests_total counter');
    expect(response.body).toContain('# TYPE http_request_duration_seconds histogram');
  });

  it.each([
    ['no credentials', undefined],
    ['a wrong password', basic('scraper', 'wrong')],
    ['a wrong user', basic('someone', 'scrape-secret-123')],
    ['a bearer token', 'Bearer scrape-secret-123'],
    ['garbage', 'Basic !!!'],
  ])('answers 401 with WWW-Authenticate: Basic for %s', async (_label, authorization) => {
    const response = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: authorization ? { authorization } : {},
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Basic realm="metrics"/);
    expect(problemOf(response).status).toBe(401);
    expect(response.body).not.toContain('http_requests_total');
  });

  it('labels requests by route pattern, method and status, never by raw URL', async () => {
    const user = await createUser(app);
    const { id } = await createItem(app, user);
    await app.inject({ method: 'GET', url: `/api/v1/items/${id}` });
    await app.inject({ method: 'GET', url: '/api/v1/items/999999999' });
    await app.inject({ method: 'GET', url: `/no/such/path/${id}` });

    const body = (await scrape()).body;
    expect(body).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/items\/:id",status_code="200"\} \d+/);
    expect(body).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/items\/:id",status_code="404"\} \d+/);
    expect(body).toMatch(
      /http_request_duration_seconds_bucket\{le="0\.1",method="POST",route="\/api\/v1\/items",status_code="201"\} \d+/,
    );
    expect(body).toMatch(/http_requests_total\{method="GET",route="unmatched",status_code="404"\} \d+/);
    expect(body).not.toContain(`/api/v1/items/${id}"`);
    expect(body).not.toContain('/no/such/path');
  });
});

describe('basicCredentials', () => {
  it('parses user:password and keeps colons in the password', () => {
    expect(basicCredentials(basic('u', 'p:a:ss'))).toEqual({ username: 'u', password: 'p:a:ss' });
    expect(basicCredentials(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toBeUndefined();
    expect(basicCredentials(undefined)).toBeUndefined();
  });
});

describe('wrong metrics passwords (the credential rate limit)', () => {
  let limited: App;
  let down: App;
  const env = { METRICS_USERNAME: 'scraper', METRICS_PASSWORD: 'scrape-secret-123', LOGIN_RATE_LIMIT_MAX: '3' };
  beforeAll(async () => {
    [limited, down] = await Promise.all([
      buildTestApp({ env }),
      buildTestApp({ env: { ...env, REDIS_URL: 'redis://127.0.0.1:1' } }),
    ]);
  });
  afterAll(() => Promise.all([limited.close(), down.close()]));

  const scrapeAs = (target: App, remoteAddress: string, password: string) =>
    target.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress,
      headers: { authorization: basic('scraper', password) },
    });

  it('answers 429 with Retry-After after LOGIN_RATE_LIMIT_MAX wrong passwords, even to the right one', async () => {
    const attacker = randomIp();
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await scrapeAs(limited, attacker, `guess-${i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    const refused = await scrapeAs(limited, attacker, 'scrape-secret-123');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body).not.toContain('http_requests_total');
    // The real scraper elsewhere keeps scraping.
    expect((await scrapeAs(limited, randomIp(), 'scrape-secret-123')).statusCode).toBe(200);
  });

  it('never counts good scrapes, and a request without credentials is a challenge, not a guess', async () => {
    const scraper = randomIp();
    for (let i = 0; i < 6; i++) expect((await scrapeAs(limited, scraper, 'scrape-secret-123')).statusCode).toBe(200);
    for (let i = 0; i < 6; i++)
      expect((await limited.inject({ method: 'GET', url: '/metrics', remoteAddress: scraper })).statusCode).toBe(401);
    expect((await scrapeAs(limited, scraper, 'scrape-secret-123')).statusCode).toBe(200);
  });

  it('keeps serving the scraper while Redis is down (metrics matter most in an outage)', async () => {
    expect((await scrapeAs(down, randomIp(), 'scrape-secret-123')).statusCode).toBe(200);
    expect((await scrapeAs(down, randomIp(), 'wrong')).statusCode).toBe(401);
  });
});
