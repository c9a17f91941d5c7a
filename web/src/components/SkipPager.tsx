// Previous/next for the lists the api pages by skip and limit (files, users); the items list
// pages by cursor instead. `Next` stays enabled past a capped total (the api says there is more).
import { Button, Group } from '@mantine/core';

interface SkipPagerProps {
  skip: number;
  pageSize: number;
  /** The page the api answered (its rows and its count). */
  page: { items: readonly unknown[]; total: number; totalIsExact: boolean };
  onChange: (skip: number) => void;
}

export function SkipPager({ skip, pageSize, page, onChange }: SkipPagerProps) {
  return (
    <Group justify="space-between">
      <Button variant="default" disabled={skip === 0} onClick={() => onChange(Math.max(0, skip - pageSize))}>
        Previous page
      </Button>
      <Button
        variant="default"
        disabled={skip + page.items.length >= page.total && page.totalIsExact}
        onClick={() => onChange(skip + pageSize)}
      >
        Next page
      </Button>
    </Group>
  );
}
