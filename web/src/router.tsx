// The route tree (code-based, fully typed). Pages past sign-in are split into their own chunks so
// the entry stays small. Signed out, a page that needs a session shows the sign-in form in place:
// the URL does not change, so signing in lands on the page that was asked for.
import {
  Outlet,
  createRootRoute,
  createRoute,
  createRouter,
  lazyRouteComponent,
  redirect,
  useRouterState,
} from '@tanstack/react-router';
import { useEffect } from 'react';
import { restoreSession } from './auth/session';
import { queryClient } from './query-client';
import { useSessionStatus } from './auth/use-session';
import { AppLayout } from './components/AppLayout';
import { PublicLayout } from './components/PublicLayout';
import { Loading, NotFound, PageError, Unreachable } from './components/StatusScreens';
import { ForgotPasswordPage } from './routes/auth/ForgotPasswordPage';
import { ResetPasswordPage } from './routes/auth/ResetPasswordPage';
import { SignInForm } from './routes/auth/SignInForm';
import { SignInPage } from './routes/auth/SignInPage';
import { SignUpPage } from './routes/auth/SignUpPage';
import { validateItemsSearch } from './routes/items/search';

const PUBLIC_PATHS = new Set(['/sign-in', '/sign-up', '/forgot-password', '/reset-password']);

function Root() {
  const status = useSessionStatus();
  const pathname = useRouterState({ select: (state) => state.location.pathname });
  useEffect(() => {
    void restoreSession();
  }, []);
  // Whoever signs in next (here or in another tab) must not see this user's cached data.
  useEffect(() => {
    if (status === 'signed-out') queryClient.clear();
  }, [status]);
  useEffect(() => {
    document.title = `${pageTitle(pathname)} · Items app`;
  }, [pathname]);
  if (status === 'loading') return <Loading label="Loading the session" />;
  if (status === 'unreachable') return <Unreachable />;
  if (PUBLIC_PATHS.has(pathname))
    return (
      <PublicLayout>
        <Outlet />
      </PublicLayout>
    );
  if (status === 'signed-out')
    return (
      <PublicLayout>
        <SignInForm />
      </PublicLayout>
    );
  return (
    <AppLayout>
      <Outlet />
    </AppLayout>
  );
}

function pageTitle(pathname: string): string {
  const first = pathname.split('/')[1] ?? '';
  return first ? first.charAt(0).toUpperCase() + first.slice(1).replace('-', ' ') : 'Home';
}

const rootRoute = createRootRoute({ component: Root, notFoundComponent: NotFound, errorComponent: PageError });

const indexRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/',
  beforeLoad: () => {
    throw redirect({ to: '/items' });
  },
});

const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/sign-in',
  validateSearch: (raw: Record<string, unknown>): { redirect?: string } =>
    typeof raw.redirect === 'string' ? { redirect: raw.redirect } : {},
  component: SignInPage,
});
const signUpRoute = createRoute({ getParentRoute: () => rootRoute, path: '/sign-up', component: SignUpPage });
const forgotRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/forgot-password',
  component: ForgotPasswordPage,
});
const resetRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/reset-password',
  validateSearch: (raw: Record<string, unknown>): { token?: string } =>
    typeof raw.token === 'string' ? { token: raw.token } : {},
  component: ResetPasswordPage,
});

const itemsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/items',
  validateSearch: validateItemsSearch,
  component: lazyRouteComponent(() => import('./routes/items/ItemsPage'), 'ItemsPage'),
});
const newItemRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/items/new',
  component: lazyRouteComponent(() => import('./routes/items/ItemEditor'), 'NewItemPage'),
});
const editItemRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/items/$id/edit',
  params: {
    parse: ({ id }: { id: string }) => ({ id: Number(id) }),
    stringify: ({ id }: { id: number }) => ({ id: String(id) }),
  },
  component: lazyRouteComponent(() => import('./routes/items/ItemEditor'), 'EditItemPage'),
});
const importRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/items/import',
  component: lazyRouteComponent(() => import('./routes/items/ImportPage'), 'ImportPage'),
});
const filesRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/files',
  component: lazyRouteComponent(() => import('./routes/files/FilesPage'), 'FilesPage'),
});
const chatIndexRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/chat',
  component: lazyRouteComponent(() => import('./routes/chat/ChatPage'), 'ChatLobby'),
});
const chatRoomRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/chat/$room',
  component: lazyRouteComponent(() => import('./routes/chat/ChatPage'), 'ChatRoomPage'),
});
const notificationsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/notifications',
  component: lazyRouteComponent(() => import('./routes/notifications/NotificationsPage'), 'NotificationsPage'),
});
const profileRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/profile',
  component: lazyRouteComponent(() => import('./routes/profile/ProfilePage'), 'ProfilePage'),
});
const adminRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/admin',
  component: lazyRouteComponent(() => import('./routes/admin/AdminPage'), 'AdminPage'),
});

export const routeTree = rootRoute.addChildren([
  indexRoute,
  signInRoute,
  signUpRoute,
  forgotRoute,
  resetRoute,
  itemsRoute,
  newItemRoute,
  editItemRoute,
  importRoute,
  filesRoute,
  chatIndexRoute,
  chatRoomRoute,
  notificationsRoute,
  profileRoute,
  adminRoute,
]);

export const router = createRouter({
  routeTree,
  defaultPendingComponent: () => <Loading />,
  // Hovering or focusing a link loads the page's chunk before the click.
  defaultPreload: 'intent',
});

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
