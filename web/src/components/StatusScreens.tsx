import { Alert, Button, Center, Loader, Stack, Title } from '@mantine/core';
import { restoreSession } from '../auth/session';
import { TextLink } from './links';
import { PublicLayout } from './PublicLayout';

export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <Center py="xl">
      {/* A bare span may not carry aria-label (axe: aria-prohibited-attr); as a status it may. */}
      <Loader role="status" aria-label={label} />
    </Center>
  );
}

/** Shown when the api cannot be reached at all (start-up or a refresh): say so, offer a retry. */
export function Unreachable() {
  return (
    <PublicLayout>
      <Stack>
        <Title order={1}>Cannot reach the server</Title>
        <Alert color="red" role="alert" title="The API is unreachable">
          The app could not contact the API. Check your connection; the server may be restarting.
        </Alert>
        <Button onClick={() => void restoreSession()}>Try again</Button>
      </Stack>
    </PublicLayout>
  );
}

/** A page that failed to render (a bug, or its chunk failed to load after a deploy). */
export function PageError({ error }: { error: unknown }) {
  return (
    <PublicLayout>
      <Stack>
        <Title order={1}>This page failed to load</Title>
        <Alert color="red" role="alert">
          {error instanceof Error ? error.message : 'Unexpected error'}
        </Alert>
        <Button onClick={() => window.location.reload()}>Reload</Button>
      </Stack>
    </PublicLayout>
  );
}

export function NotFound() {
  return (
    <Stack>
      <Title order={1}>Page not found</Title>
      <p>There is nothing at this address.</p>
      <TextLink to="/items">Go to the items</TextLink>
    </Stack>
  );
}
