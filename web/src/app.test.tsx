import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setAccessToken } from './auth/token-store';
import { queryClient } from './query-client';
import { ADA, TOKEN_PAIR, fakeApi, item, json, page, problem } from './test/fake-api';
import { renderApp } from './test/render';

afterEach(() => {
  setAccessToken(null);
  queryClient.clear();
  vi.unstubAllGlobals();
});

const signedOut = { 'POST /api/v1/auth/refresh': () => problem(401, 'Unauthorized', 'A refresh token is required') };
const signedIn = (user: typeof ADA = ADA) => ({
  'POST /api/v1/auth/refresh': () => json(TOKEN_PAIR),
  'GET /api/v1/users/me': () => json(user),
  'POST /api/v1/ws-ticket': () => problem(503, 'Service Unavailable', 'no sockets in component tests'),
});

describe('starting', () => {
  it('shows a named status, not a bare spinner, while the session is restored', async () => {
    let answer: (response: Response) => void = () => {};
    fakeApi({ 'POST /api/v1/auth/refresh': () => new Promise<Response>((resolve) => (answer = resolve)) });
    renderApp('/items');
    // A span may carry aria-label only with a role (axe's aria-prohibited-attr).
    expect(await screen.findByRole('status', { name: 'Loading the session' })).toBeInTheDocument();
    answer(problem(401, 'Unauthorized', 'A refresh token is required'));
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
  });
});

describe('signed out', () => {
  it('shows the sign-in form on a protected page and stays there after signing in', async () => {
    fakeApi({
      ...signedOut,
      'POST /api/v1/auth/token': () => json(TOKEN_PAIR),
      'GET /api/v1/users/me': () => json(ADA),
      'GET /api/v1/items': () => json(page([item(1, 'Lamp')])),
      'POST /api/v1/ws-ticket': () => problem(503, 'Service Unavailable', 'none'),
    });
    const { router } = renderApp('/items?q=lamp');
    await userEvent.type(await screen.findByLabelText('Email'), 'ada@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'correct horse battery staple');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('heading', { name: 'Items', level: 1 })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/items');
    expect(router.state.location.search).toMatchObject({ q: 'lamp' });
  });

  it('signs in at /sign-in and goes to the redirect target', async () => {
    fakeApi({
      ...signedOut,
      'POST /api/v1/auth/token': () => json(TOKEN_PAIR),
      'GET /api/v1/users/me': () => json(ADA),
      'GET /api/v1/files': () => json(page([])),
      'POST /api/v1/ws-ticket': () => problem(503, 'Service Unavailable', 'none'),
    });
    const { router } = renderApp('/sign-in?redirect=%2Ffiles');
    await userEvent.type(await screen.findByLabelText('Email'), 'ada@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'correct horse battery staple');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('heading', { name: 'Files', level: 1 })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/files');
  });

  it('shows the problem of a refused sign-in', async () => {
    fakeApi({
      ...signedOut,
      'POST /api/v1/auth/token': () => problem(401, 'Unauthorized', 'Incorrect email or password'),
    });
    renderApp('/profile');
    await userEvent.type(await screen.findByLabelText('Email'), 'ada@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'wrong');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Incorrect email or password');
  });

  it('says so when the api is unreachable', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))),
    );
    renderApp('/items');
    expect(await screen.findByRole('heading', { name: 'Cannot reach the server' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});

describe('signed in', () => {
  it('has the main navigation with Sign out, and Admin only for admins', async () => {
    fakeApi({ ...signedIn(), 'GET /api/v1/items': () => json(page([])) });
    renderApp('/items');
    const nav = await screen.findByRole('navigation');
    for (const name of ['Items', 'Files', 'Chat', 'Profile'])
      expect(within(nav).getByRole('link', { name })).toBeInTheDocument();
    expect(within(nav).getByRole('button', { name: 'Sign out' })).toBeInTheDocument();
    await screen.findByText('Ada Lovelace');
    expect(within(nav).queryByRole('link', { name: 'Admin' })).toBeNull();
  });

  it('shows the Admin link to an admin', async () => {
    fakeApi({ ...signedIn({ ...ADA, role: 'ADMIN' as never }), 'GET /api/v1/items': () => json(page([])) });
    renderApp('/items');
    const nav = await screen.findByRole('navigation');
    expect(await within(nav).findByRole('link', { name: 'Admin' })).toHaveAttribute('href', '/admin');
  });

  it('sends the search and filters from the URL and pages with the cursor', async () => {
    const queries: string[] = [];
    fakeApi({
      ...signedIn(),
      'GET /api/v1/items': (_request, url) => {
        queries.push(url.search);
        return json(url.searchParams.get('cursor') ? page([item(2, 'Lamp two')]) : page([item(1, 'Lamp')], 'c2'));
      },
    });
    const { router } = renderApp('/items?q=lamp&tag=home&minPrice=5');
    expect(await screen.findByText('Lamp')).toBeInTheDocument();
    expect(screen.getByLabelText('Search')).toHaveValue('lamp');
    // The api matches whole words; the field says so.
    expect(screen.getByLabelText('Search')).toHaveAccessibleDescription('Whole words');
    expect(queries[0]).toContain('q=lamp');
    expect(queries[0]).toContain('tag=home');
    expect(queries[0]).toContain('minPrice=5');
    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    expect(await screen.findByText('Lamp two')).toBeInTheDocument();
    expect(router.state.location.search).toMatchObject({ q: 'lamp', cursor: 'c2' });
    await userEvent.click(screen.getByRole('button', { name: 'Previous page' }));
    await waitFor(() => expect(router.state.location.search).not.toHaveProperty('cursor'));
  });

  it('creates an item, shows server field errors next to the fields, then lists it', async () => {
    const created = item(7, 'Desk', 120);
    let listed = [item(1, 'Lamp')];
    let attempts = 0;
    fakeApi({
      ...signedIn(),
      'GET /api/v1/items': () => json(page(listed)),
      'POST /api/v1/items': async (request) => {
        attempts += 1;
        const body = (await request.json()) as { price: number | null };
        if (body.price === null)
          return problem(422, 'Unprocessable Entity', 'The request is invalid', [
            { path: '/body/price', message: 'must be number' },
          ]);
        listed = [created, ...listed];
        return json(created, 201);
      },
    });
    const { router } = renderApp('/items/new');
    await userEvent.type(await screen.findByLabelText('Name'), 'Desk');
    await userEvent.type(screen.getByLabelText('Price'), 'abc');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    const price = screen.getByLabelText('Price');
    await waitFor(() => expect(price).toHaveAccessibleDescription(/must be number/));
    expect(price).toHaveAttribute('aria-invalid', 'true');
    await userEvent.clear(price);
    await userEvent.type(price, '120');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Desk')).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/items');
    expect(attempts).toBe(2);
  });

  it('asks before deleting an item', async () => {
    const deleted = vi.fn(() => new Response(null, { status: 204 }));
    fakeApi({
      ...signedIn(),
      'GET /api/v1/items': () => json(page([item(3, 'Chair')])),
      'DELETE /api/v1/items/3': deleted,
    });
    renderApp('/items');
    await userEvent.click(await screen.findByRole('button', { name: 'Delete Chair' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(deleted).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole('button', { name: 'Delete Chair' }));
    await userEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(deleted).toHaveBeenCalledTimes(1));
  });

  it('retries a request once with a refreshed token after a 401', async () => {
    let refreshes = 0;
    const seen: (string | null)[] = [];
    fakeApi({
      'POST /api/v1/auth/refresh': () => {
        refreshes += 1;
        return json({ ...TOKEN_PAIR, access_token: `access-${refreshes}` });
      },
      'POST /api/v1/ws-ticket': () => problem(503, 'Service Unavailable', 'none'),
      'GET /api/v1/users/me': (request) => {
        seen.push(request.headers.get('authorization'));
        return request.headers.get('authorization') === 'Bearer access-1'
          ? problem(401, 'Unauthorized', 'expired')
          : json(ADA);
      },
      'GET /api/v1/items': () => json(page([])),
    });
    renderApp('/items');
    expect(await screen.findByText('Ada Lovelace')).toBeInTheDocument();
    expect(seen).toEqual(['Bearer access-1', 'Bearer access-2']);
  });

  it('sends only the changed profile fields and signs out after a password change', async () => {
    const bodies: unknown[] = [];
    fakeApi({
      ...signedIn(),
      'GET /api/v1/users/me/api-keys': () => json(page([])),
      'PATCH /api/v1/users/me': async (request) => {
        bodies.push(await request.json());
        return json(ADA);
      },
    });
    renderApp('/profile');
    await userEvent.type(await screen.findByLabelText('New password'), 'a brand new passphrase');
    await userEvent.type(screen.getByLabelText('Current password'), 'correct horse battery staple');
    await userEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent(/password was changed/);
    expect(bodies).toEqual([{ password: 'a brand new passphrase', currentPassword: 'correct horse battery staple' }]);
  });

  it('shows the 404 page for an unknown route', async () => {
    fakeApi(signedIn());
    renderApp('/no-such-page');
    expect(await screen.findByRole('heading', { name: 'Page not found' })).toBeInTheDocument();
  });
});
