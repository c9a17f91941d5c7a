import { screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setAccessToken } from '../auth/token-store';
import { queryClient } from '../query-client';
import { ADA, TOKEN_PAIR, fakeApi, json, page, problem } from '../test/fake-api';
import { renderApp } from '../test/render';

afterEach(() => {
  setAccessToken(null);
  queryClient.clear();
  vi.unstubAllGlobals();
});

const SERVER_PAGES = [
  ['API docs', '/docs'],
  ['API reference', '/reference'],
  ['OpenAPI document', '/openapi.json'],
] as const;

/** The footer's links are plain hrefs to the api's own pages (not router links the app would 404). */
async function expectDeveloperLinks() {
  const footer = await screen.findByRole('contentinfo', { name: 'Developer' });
  for (const [name, href] of SERVER_PAGES)
    expect(within(footer).getByRole('link', { name })).toHaveAttribute('href', href);
  return footer;
}

describe('developer links', () => {
  it('are in the footer when signed out, with no navigation', async () => {
    fakeApi({ 'POST /api/v1/auth/refresh': () => problem(401, 'Unauthorized', 'A refresh token is required') });
    renderApp('/sign-in');
    await screen.findByRole('button', { name: 'Sign in' });
    await expectDeveloperLinks();
    // Signed out there is no navigation landmark at all (the e2e sign-out test counts them).
    expect(screen.queryByRole('navigation')).toBeNull();
  });

  it('are in the footer when signed in, outside the main navigation', async () => {
    fakeApi({
      'POST /api/v1/auth/refresh': () => json(TOKEN_PAIR),
      'GET /api/v1/users/me': () => json(ADA),
      'POST /api/v1/ws-ticket': () => problem(503, 'Service Unavailable', 'no sockets in component tests'),
      'GET /api/v1/items': () => json(page([])),
    });
    renderApp('/items');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    const footer = await expectDeveloperLinks();
    expect(nav.contains(footer)).toBe(false);
    for (const [name] of SERVER_PAGES) expect(within(nav).queryByRole('link', { name })).toBeNull();
  });
});
