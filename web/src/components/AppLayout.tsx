import { Box, Button, Container, Group, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { signOut } from '../auth/actions';
import { useMe } from '../auth/use-session';
import { useNotificationsFeed } from '../live/notifications';
import { DeveloperLinks } from './DeveloperLinks';
import { TextLink } from './links';

/** The signed-in frame: the main navigation (a `navigation` landmark) and the page. */
export function AppLayout({ children }: { children: ReactNode }) {
  const me = useMe();
  useNotificationsFeed(true);
  const isAdmin = me.data?.role === 'ADMIN';
  const links = [
    { to: '/items', label: 'Items' },
    { to: '/files', label: 'Files' },
    { to: '/chat', label: 'Chat' },
    { to: '/notifications', label: 'Notifications' },
    { to: '/profile', label: 'Profile' },
    ...(isAdmin ? [{ to: '/admin', label: 'Admin' }] : []),
  ] as const;
  return (
    <>
      <Box p="sm" style={{ borderBottom: '1px solid var(--mantine-color-gray-3)' }}>
        <nav aria-label="Main">
          <Group justify="space-between" wrap="wrap" gap="sm">
            <Group gap="md" wrap="wrap">
              {links.map((link) => (
                <TextLink key={link.to} to={link.to} fw={600} activeProps={{ style: { textDecoration: 'underline' } }}>
                  {link.label}
                </TextLink>
              ))}
            </Group>
            <Group gap="sm">
              {me.data && (
                <Text size="sm" c="dimmed">
                  {me.data.name}
                </Text>
              )}
              <Button variant="default" size="xs" onClick={() => void signOut()}>
                Sign out
              </Button>
            </Group>
          </Group>
        </nav>
      </Box>
      <Container component="main" size="lg" py="md">
        {children}
      </Container>
      <DeveloperLinks />
    </>
  );
}
