import {
  Anchor,
  Badge,
  Button,
  Fieldset,
  Group,
  NativeSelect,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedCallback } from '@mantine/hooks';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { ConfirmButton } from '../../components/ConfirmButton';
import { TextLink } from '../../components/links';
import { ProblemAlert } from '../../components/ProblemAlert';
import { Loading } from '../../components/StatusScreens';
import {
  MIN_SEARCH_LENGTH,
  SORTS,
  filtersOf,
  itemsQuery,
  nextPage,
  previousPage,
  type ItemsSearch,
  type Sort,
} from './search';

const PAGE_SIZE = 20;
const SORT_LABELS: Record<Sort, string> = {
  '-createdAt': 'Newest first',
  createdAt: 'Oldest first',
  name: 'Name A-Z',
  '-name': 'Name Z-A',
  price: 'Price, lowest first',
  '-price': 'Price, highest first',
};

export function ItemsPage() {
  const search = useSearch({ from: '/items' });
  const navigate = useNavigate({ from: '/items' });
  const queryClient = useQueryClient();
  const query = itemsQuery(search, PAGE_SIZE);
  const items = useQuery({
    queryKey: ['items', query],
    queryFn: () => unwrap(api.GET('/api/v1/items', { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const remove = useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE('/api/v1/items/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['items'] }),
  });
  const go = (next: ItemsSearch) => void navigate({ search: next });
  const exportHref = `/api/v1/items/export.csv?${new URLSearchParams(
    Object.entries(itemsQuery(filtersOf(search), PAGE_SIZE))
      .filter(([key]) => key !== 'limit')
      .map(([key, value]) => [key, String(value)]),
  )}`;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Items</Title>
        <Group>
          <Button onClick={() => void navigate({ to: '/items/new' })}>New item</Button>
          <TextLink to="/items/import">Import CSV</TextLink>
          <Anchor href={exportHref} download>
            Export CSV
          </Anchor>
        </Group>
      </Group>
      <Filters search={search} onChange={(filters) => go(filters)} />
      <ProblemAlert error={items.error ?? remove.error} />
      {items.isPending ? (
        <Loading label="Loading the items" />
      ) : items.data ? (
        <>
          <Text role="status" size="sm">
            {items.data.totalIsExact ? '' : 'At least '}
            {items.data.total} {items.data.total === 1 ? 'item' : 'items'}
          </Text>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Price</Table.Th>
                <Table.Th scope="col">Tax</Table.Th>
                <Table.Th scope="col">Tags</Table.Th>
                <Table.Th scope="col">Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.data.items.map((item) => (
                <Table.Tr key={item.id}>
                  <Table.Td>
                    <Text fw={600}>{item.name}</Text>
                    {item.description && (
                      <Text size="sm" c="dimmed">
                        {item.description}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{item.price.toFixed(2)}</Table.Td>
                  <Table.Td>{item.tax === null ? '' : item.tax.toFixed(2)}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {item.tags.map((tag) => (
                        <Badge key={tag} variant="light" color="dark" tt="none">
                          {tag}
                        </Badge>
                      ))}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <TextLink to="/items/$id/edit" params={{ id: item.id }} aria-label={`Edit ${item.name}`}>
                        Edit
                      </TextLink>
                      <ConfirmButton
                        size="xs"
                        aria-label={`Delete ${item.name}`}
                        title="Delete this item?"
                        message={`"${item.name}" will be deleted. This cannot be undone.`}
                        confirmLabel="Delete"
                        onConfirm={() => remove.mutate(item.id)}
                      >
                        Delete
                      </ConfirmButton>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {items.data.items.length === 0 && <Text>No items match.</Text>}
          <Group justify="space-between">
            <Button variant="default" disabled={!search.cursor} onClick={() => go(previousPage(search))}>
              Previous page
            </Button>
            <Button
              variant="default"
              disabled={!items.data.nextCursor}
              onClick={() => items.data.nextCursor && go(nextPage(search, items.data.nextCursor))}
            >
              Next page
            </Button>
          </Group>
        </>
      ) : null}
    </Stack>
  );
}

/** The filter bar: every change updates the URL (typing is debounced) and starts at page one. */
function Filters({ search, onChange }: { search: ItemsSearch; onChange: (search: ItemsSearch) => void }) {
  const [q, setQ] = useState(search.q ?? '');
  const [tag, setTag] = useState(search.tag ?? '');
  const [minPrice, setMinPrice] = useState(search.minPrice?.toString() ?? '');
  const [maxPrice, setMaxPrice] = useState(search.maxPrice?.toString() ?? '');
  // Back/Forward change the URL: the inputs follow it.
  useEffect(() => {
    setQ(search.q ?? '');
    setTag(search.tag ?? '');
    setMinPrice(search.minPrice?.toString() ?? '');
    setMaxPrice(search.maxPrice?.toString() ?? '');
  }, [search.q, search.tag, search.minPrice, search.maxPrice]);

  const apply = (patch: Partial<Record<'q' | 'tag' | 'minPrice' | 'maxPrice' | 'sort', string>>) => {
    const values = { q, tag, minPrice, maxPrice, sort: search.sort ?? '', ...patch };
    onChange({
      q: values.q.trim() || undefined,
      tag: values.tag.trim() || undefined,
      minPrice: values.minPrice === '' ? undefined : Number(values.minPrice),
      maxPrice: values.maxPrice === '' ? undefined : Number(values.maxPrice),
      sort: SORTS.find((sort) => sort === values.sort),
    });
  };
  const applyLater = useDebouncedCallback(apply, 350);
  const tooShort = q.trim().length > 0 && q.trim().length < MIN_SEARCH_LENGTH;

  return (
    <form
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        apply({});
      }}
    >
      <Group align="flex-start" wrap="wrap">
        <TextInput
          label="Search"
          type="search"
          name="q"
          value={q}
          // The api finds whole words: say so before someone wonders why "lam" finds no lamp.
          description={tooShort ? `Type at least ${MIN_SEARCH_LENGTH} characters` : 'Whole words'}
          onChange={(event) => {
            setQ(event.currentTarget.value);
            applyLater({ q: event.currentTarget.value });
          }}
        />
        <TextInput
          label="Tag"
          name="tag"
          value={tag}
          onChange={(event) => {
            setTag(event.currentTarget.value);
            applyLater({ tag: event.currentTarget.value });
          }}
        />
        {/* Labels avoid the words of the item form ("Price"): a label is found by its text. */}
        <Fieldset legend="Price range" variant="unstyled">
          <Group gap="xs" wrap="nowrap">
            <TextInput
              label="Minimum"
              name="minPrice"
              type="number"
              min={0}
              step="0.01"
              w={110}
              value={minPrice}
              onChange={(event) => {
                setMinPrice(event.currentTarget.value);
                applyLater({ minPrice: event.currentTarget.value });
              }}
            />
            <TextInput
              label="Maximum"
              name="maxPrice"
              type="number"
              min={0}
              step="0.01"
              w={110}
              value={maxPrice}
              onChange={(event) => {
                setMaxPrice(event.currentTarget.value);
                applyLater({ maxPrice: event.currentTarget.value });
              }}
            />
          </Group>
        </Fieldset>
        <NativeSelect
          label="Sort"
          name="sort"
          value={search.sort ?? '-createdAt'}
          data={SORTS.map((sort) => ({ value: sort, label: SORT_LABELS[sort] }))}
          onChange={(event) => apply({ sort: event.currentTarget.value })}
        />
      </Group>
    </form>
  );
}
