import { Anchor, Box, Group, Text } from '@mantine/core';

// Server pages, not app routes: plain <a href> so the browser loads them from the api (the app's
// router would show its 404 page). They used to be on the api's landing page at `/`, which is
// the app now (src/modules/system/system.routes.ts serves that page only without a web build).
const links = [
  { href: '/docs', label: 'API docs' },
  { href: '/reference', label: 'API reference' },
  { href: '/openapi.json', label: 'OpenAPI document' },
] as const;

/**
 * The page footer (a `contentinfo` landmark, not a `navigation` one: the main navigation stays the
 * only one, and it exists only when signed in), shown signed in and signed out.
 */
export function DeveloperLinks() {
  return (
    <Box
      component="footer"
      aria-label="Developer"
      p="sm"
      style={{ borderTop: '1px solid var(--mantine-color-gray-3)' }}
    >
      <Group gap="md" justify="center" wrap="wrap">
        <Text size="sm" c="dimmed">
          For developers:
        </Text>
        {links.map((link) => (
          <Anchor key={link.href} href={link.href} size="sm">
            {link.label}
          </Anchor>
        ))}
      </Group>
    </Box>
  );
}
