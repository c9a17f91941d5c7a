import { Container } from '@mantine/core';
import type { ReactNode } from 'react';
import { DeveloperLinks } from './DeveloperLinks';

/** The frame of the signed-out screens: one narrow column, then the developer links. */
export function PublicLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <Container component="main" size={420} py="xl">
        {children}
      </Container>
      <DeveloperLinks />
    </>
  );
}
