import { Anchor, Checkbox, NativeSelect, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { AdminUpdateUser as AdminUpdate } from '../../api/types';
import { useMe } from '../../auth/use-session';
import { ConfirmButton } from '../../components/ConfirmButton';
import { ProblemAlert } from '../../components/ProblemAlert';
import { Loading } from '../../components/StatusScreens';
import { SkipPager } from '../../components/SkipPager';

const PAGE_SIZE = 25;

export function AdminPage() {
  const me = useMe();
  const queryClient = useQueryClient();
  const [skip, setSkip] = useState(0);
  const isAdmin = me.data?.role === 'ADMIN';
  const users = useQuery({
    queryKey: ['users', skip],
    queryFn: () => unwrap(api.GET('/api/v1/users', { params: { query: { skip, limit: PAGE_SIZE } } })),
    enabled: isAdmin,
  });
  const update = useMutation({
    mutationFn: ({ id, body }: { id: number; body: AdminUpdate }) =>
      unwrap(api.PATCH('/api/v1/users/{id}', { params: { path: { id } }, body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }),
  });
  const remove = useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE('/api/v1/users/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }),
  });

  if (me.isPending) return <Loading />;
  if (!isAdmin || !me.data)
    return (
      <Stack>
        <Title order={1}>Admin</Title>
        <Text role="alert">This page is for administrators.</Text>
      </Stack>
    );
  const myId = me.data.id;
  return (
    <Stack>
      <Title order={1}>Admin</Title>
      <Text>
        Background jobs: <Anchor href="/admin/queues">Open the queue dashboard</Anchor> (asks for your admin email and
        password).
      </Text>
      <Title order={2}>Users</Title>
      <ProblemAlert error={users.error ?? update.error ?? remove.error} />
      {users.isPending && <Loading label="Loading the users" />}
      {users.data && (
        <>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Email</Table.Th>
                <Table.Th scope="col">Role</Table.Th>
                <Table.Th scope="col">Active</Table.Th>
                <Table.Th scope="col">Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.data.items.map((user) => (
                <Table.Tr key={user.id}>
                  <Table.Td>{user.name}</Table.Td>
                  <Table.Td>{user.email}</Table.Td>
                  <Table.Td>
                    <NativeSelect
                      aria-label={`Role of ${user.email}`}
                      value={user.role}
                      data={['USER', 'ADMIN']}
                      disabled={user.id === myId}
                      onChange={(event) =>
                        update.mutate({
                          id: user.id,
                          body: { role: event.currentTarget.value === 'ADMIN' ? 'ADMIN' : 'USER' },
                        })
                      }
                    />
                  </Table.Td>
                  <Table.Td>
                    <Checkbox
                      aria-label={`${user.email} is active`}
                      checked={user.isActive}
                      disabled={user.id === myId}
                      onChange={(event) =>
                        update.mutate({ id: user.id, body: { isActive: event.currentTarget.checked } })
                      }
                    />
                  </Table.Td>
                  <Table.Td>
                    <ConfirmButton
                      size="xs"
                      aria-label={`Delete ${user.email}`}
                      disabled={user.id === myId}
                      title="Delete this user?"
                      message={`${user.email} and everything they own will be deleted.`}
                      confirmLabel="Delete"
                      onConfirm={() => remove.mutate(user.id)}
                    >
                      Delete
                    </ConfirmButton>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <SkipPager skip={skip} pageSize={PAGE_SIZE} page={users.data} onChange={setSkip} />
        </>
      )}
    </Stack>
  );
}
