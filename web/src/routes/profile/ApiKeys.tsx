import { Alert, Button, Code, CopyButton, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { ConfirmButton } from '../../components/ConfirmButton';
import { ProblemAlert, fieldErrors } from '../../components/ProblemAlert';

/** Personal API keys: the key itself is shown once, right after it is created. */
export function ApiKeys() {
  const queryClient = useQueryClient();
  const keys = useQuery({
    queryKey: ['api-keys'],
    queryFn: () => unwrap(api.GET('/api/v1/users/me/api-keys', { params: { query: { limit: 100 } } })),
  });
  const create = useMutation({
    mutationFn: (name: string) => unwrap(api.POST('/api/v1/users/me/api-keys', { body: { name } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  const remove = useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE('/api/v1/users/me/api-keys/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  const errors = fieldErrors(create.error);
  return (
    <Stack>
      <Title order={2}>API keys</Title>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          const form = event.currentTarget;
          create.mutate(String(new FormData(form).get('name') ?? '').trim(), { onSuccess: () => form.reset() });
        }}
      >
        <Group align="flex-start">
          <TextInput
            label="Key name"
            name="name"
            description='What the key is for, e.g. "CI deploys"'
            error={errors.name}
          />
          <Button type="submit" mt={24} loading={create.isPending}>
            Create key
          </Button>
        </Group>
      </form>
      <ProblemAlert error={create.error ?? remove.error ?? keys.error} />
      {create.data && (
        <Alert title="Copy your new key now" role="status">
          <Text size="sm" mb="xs">
            It is shown only once. Send it as the <Code>X-API-Key</Code> header.
          </Text>
          <Group>
            <Code aria-label="New API key">{create.data.key}</Code>
            <CopyButton value={create.data.key}>
              {({ copied, copy }) => (
                <Button size="xs" variant="default" onClick={copy}>
                  {copied ? 'Copied' : 'Copy key'}
                </Button>
              )}
            </CopyButton>
          </Group>
        </Alert>
      )}
      {keys.data && keys.data.items.length > 0 && (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Name</Table.Th>
              <Table.Th scope="col">Starts with</Table.Th>
              <Table.Th scope="col">Last used</Table.Th>
              <Table.Th scope="col">Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {keys.data.items.map((key) => (
              <Table.Tr key={key.id}>
                <Table.Td>{key.name}</Table.Td>
                <Table.Td>
                  <Code>{key.prefix}</Code>
                </Table.Td>
                <Table.Td>{key.lastUsedAt ? new Date(key.lastUsedAt).toLocaleString() : 'Never'}</Table.Td>
                <Table.Td>
                  <ConfirmButton
                    size="xs"
                    aria-label={`Delete key ${key.name}`}
                    title="Delete this API key?"
                    message={`Requests with "${key.name}" stop working at once.`}
                    confirmLabel="Delete"
                    onConfirm={() => remove.mutate(key.id)}
                  >
                    Delete
                  </ConfirmButton>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {keys.data?.items.length === 0 && <Text>No API keys.</Text>}
    </Stack>
  );
}
