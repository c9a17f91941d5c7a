import { Alert, Button, Stack, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useSearch } from '@tanstack/react-router';
import { unwrap } from '../../api/client';
import { publicClient } from '../../api/public-client';
import { TextLink } from '../../components/links';
import { ProblemAlert, fieldErrors } from '../../components/ProblemAlert';

/** The page the password-reset email links to: `${PUBLIC_URL}/reset-password?token=...`. */
export function ResetPasswordPage() {
  const { token } = useSearch({ from: '/reset-password' });
  const mutation = useMutation({
    mutationFn: (password: string) =>
      unwrap(publicClient.POST('/api/v1/auth/password-reset/confirm', { body: { token: token ?? '', password } })),
  });
  const errors = fieldErrors(mutation.error);
  if (mutation.isSuccess)
    return (
      <Stack>
        <Title order={1}>Password changed</Title>
        <Alert role="status">Your password is set. Every other session was signed out.</Alert>
        <TextLink to="/sign-in">Sign in</TextLink>
      </Stack>
    );
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        mutation.mutate(String(new FormData(event.currentTarget).get('password') ?? ''));
      }}
    >
      <Stack>
        <Title order={1}>Choose a new password</Title>
        {!token && (
          <Alert color="red" role="alert">
            This link has no token. Open the link from the email again, or ask for a new one.
          </Alert>
        )}
        <ProblemAlert error={mutation.error} title="Could not set the password" />
        <TextInput
          label="New password"
          name="password"
          type="password"
          autoComplete="new-password"
          description="8 to 256 characters"
          required
          error={errors.password ?? errors.token}
        />
        <Button type="submit" loading={mutation.isPending} disabled={!token}>
          Set the password
        </Button>
        <TextLink to="/forgot-password">Ask for a new link</TextLink>
      </Stack>
    </form>
  );
}
