import { Alert, Button, Stack, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import type { UpdateMe, User } from '../../api/types';
import { endSession } from '../../auth/session';
import { useMe } from '../../auth/use-session';
import { ProblemAlert, fieldErrors } from '../../components/ProblemAlert';
import { Loading } from '../../components/StatusScreens';
import { ApiKeys } from './ApiKeys';

/** Only what changed is sent; the api asks for the current password to change email or password. */
export function profileChanges(user: User, form: FormData): UpdateMe {
  const value = (name: string) => String(form.get(name) ?? '').trim();
  const changes: UpdateMe = {};
  if (value('name') !== user.name) changes.name = value('name');
  if (value('email') !== user.email) changes.email = value('email');
  if (String(form.get('password') ?? '') !== '') changes.password = String(form.get('password'));
  if ((changes.email !== undefined || changes.password !== undefined) && form.get('currentPassword'))
    changes.currentPassword = String(form.get('currentPassword'));
  return changes;
}

export function ProfilePage() {
  const me = useMe();
  const queryClient = useQueryClient();
  const update = useMutation({
    mutationFn: (body: UpdateMe) => unwrap(api.PATCH('/api/v1/users/me', { body })),
    onSuccess: (user, body) => {
      // The api ends every session of the account, this one included, when the password changes.
      if (body.password) endSession('Your password was changed and every session signed out: sign in again.');
      else queryClient.setQueryData(['me'], user);
    },
  });
  const errors = fieldErrors(update.error);
  if (!me.data) return me.error ? <ProblemAlert error={me.error} /> : <Loading label="Loading your profile" />;
  const user = me.data;
  return (
    <Stack>
      <Title order={1}>Profile</Title>
      <form
        noValidate
        key={user.updatedAt}
        onSubmit={(event) => {
          event.preventDefault();
          const changes = profileChanges(user, new FormData(event.currentTarget));
          if (Object.keys(changes).length > 0) update.mutate(changes);
        }}
      >
        <Stack maw={480}>
          <ProblemAlert error={update.error} title="Could not save the profile" />
          {update.isSuccess && <Alert role="status">Profile saved.</Alert>}
          <TextInput label="Name" name="name" defaultValue={user.name} autoComplete="name" error={errors.name} />
          <TextInput
            label="Email"
            name="email"
            type="email"
            defaultValue={user.email}
            autoComplete="email"
            error={errors.email}
          />
          <TextInput
            label="New password"
            name="password"
            type="password"
            autoComplete="new-password"
            description="Leave empty to keep the current one; 8 to 256 characters"
            error={errors.password}
          />
          <TextInput
            label="Current password"
            name="currentPassword"
            type="password"
            autoComplete="current-password"
            description="Required to change the email or the password"
            error={errors.currentPassword}
          />
          <Button type="submit" loading={update.isPending} w="fit-content">
            Save profile
          </Button>
        </Stack>
      </form>
      <ApiKeys />
    </Stack>
  );
}
