import { Stack, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from '@tanstack/react-router';
import { api, unwrap } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { Loading } from '../../components/StatusScreens';
import { ItemForm, type ItemInput } from './ItemForm';

/** After a save the list is refetched, so the item shows there at once (newest first). */
function useBackToList() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return async () => {
    await queryClient.invalidateQueries({ queryKey: ['items'] });
    await navigate({ to: '/items' });
  };
}

export function NewItemPage() {
  const navigate = useNavigate();
  const backToList = useBackToList();
  const create = useMutation({
    mutationFn: (body: ItemInput) => unwrap(api.POST('/api/v1/items', { body })),
    onSuccess: backToList,
  });
  return (
    <Stack>
      <Title order={1}>New item</Title>
      <ItemForm
        error={create.error}
        saving={create.isPending}
        onSubmit={(input) => create.mutate(input)}
        onCancel={() => void navigate({ to: '/items' })}
      />
    </Stack>
  );
}

export function EditItemPage() {
  const { id } = useParams({ from: '/items/$id/edit' });
  const navigate = useNavigate();
  const backToList = useBackToList();
  const item = useQuery({
    queryKey: ['item', id],
    queryFn: () => unwrap(api.GET('/api/v1/items/{id}', { params: { path: { id } } })),
  });
  const update = useMutation({
    mutationFn: (body: ItemInput) => unwrap(api.PATCH('/api/v1/items/{id}', { params: { path: { id } }, body })),
    onSuccess: backToList,
  });
  return (
    <Stack>
      <Title order={1}>Edit item</Title>
      <ProblemAlert error={item.error} title="Could not load the item" />
      {item.isPending && <Loading label="Loading the item" />}
      {item.data && (
        <ItemForm
          item={item.data}
          error={update.error}
          saving={update.isPending}
          onSubmit={(input) => update.mutate(input)}
          onCancel={() => void navigate({ to: '/items' })}
        />
      )}
    </Stack>
  );
}
