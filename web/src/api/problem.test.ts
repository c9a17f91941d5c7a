import { describe, expect, it } from 'vitest';
import { ApiError, UNREACHABLE, describeError, errorFromResponse } from './problem';

const validation = {
  type: 'https://example.com/problems/validation',
  title: 'Unprocessable Entity',
  status: 422,
  detail: 'The request is invalid',
  instance: '/api/v1/items',
  requestId: 'req-1',
  errors: [
    { path: '/body/price', message: 'must be > 0' },
    { path: '/body/tags/2', message: 'must match pattern' },
    { path: '/body/price', message: 'a second message for the same field' },
  ],
};

describe('ApiError', () => {
  it('keys field errors by field name, first message wins', () => {
    expect(new ApiError(422, validation).fieldErrors()).toEqual({ price: 'must be > 0', tags: 'must match pattern' });
  });

  it('reads a problem+json answer into a typed error', async () => {
    const response = new Response(JSON.stringify(validation), { status: 422 });
    const error = await errorFromResponse(response);
    expect(error.status).toBe(422);
    expect(error.problem?.requestId).toBe('req-1');
    expect(error.message).toBe('The request is invalid');
  });

  it('treats a proxy 502 page as an unreachable api', async () => {
    const error = await errorFromResponse(new Response('<html>Bad Gateway</html>', { status: 502 }));
    expect(error.status).toBe(UNREACHABLE);
    expect(describeError(error)).toMatch(/unreachable/i);
  });

  it('says what a 413 or 415 means when the problem has no detail', () => {
    expect(describeError(new ApiError(413, undefined))).toMatch(/too large/i);
    expect(describeError(new ApiError(415, undefined))).toMatch(/not accepted/i);
  });
});
