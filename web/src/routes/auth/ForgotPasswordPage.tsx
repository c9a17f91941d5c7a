import { Alert, Button, Stack, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { unwrap } from '../../api/client';
import { publicClient } from '../../api/public-client';
import { TextLink } from '../../components/links';
import { ProblemAlert, fieldErrors } from '../../components/ProblemAlert';

export function ForgotPasswordPage() {
  const mutation = useMutation({
    mutationFn: (email: string) =>
      unwrap(publicClient.POST('/api/v1/auth/password-reset/request', { body: { email } })),
  });
  const errors = fieldErrors(mutation.error);
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        mutation.mutate(String(new FormData(event.currentTarget).get('email') ?? ''));
      }}
    >
      <Stack>
        <Title order={1}>Forgot your password?</Title>
        <p>Enter the email of your account: we send a link to choose a new password.</p>
        <ProblemAlert error={mutation.error} />
        {mutation.data && <Alert role="status">{mutation.data.detail}</Alert>}
        <TextInput label="Email" name="email" type="email" autoComplete="email" required error={errors.email} />
        <Button type="submit" loading={mutation.isPending}>
          Send the link
        </Button>
        <TextLink to="/sign-in">Back to sign in</TextLink>
      </Stack>
    </form>
  );
}
