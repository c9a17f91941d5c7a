import { Alert, Button, Stack, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { publicClient } from '../../api/public-client';
import { unwrap } from '../../api/client';
import { TextLink } from '../../components/links';
import { ProblemAlert, fieldErrors } from '../../components/ProblemAlert';

export function SignUpPage() {
  const mutation = useMutation({
    mutationFn: (body: { name: string; email: string; password: string }) =>
      unwrap(publicClient.POST('/api/v1/auth/register', { body })),
  });
  const errors = fieldErrors(mutation.error);
  if (mutation.data)
    return (
      <Stack>
        <Title order={1}>Check your inbox</Title>
        <Alert role="status">{mutation.data.detail}</Alert>
        <TextLink to="/sign-in">Sign in</TextLink>
      </Stack>
    );
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        mutation.mutate({
          name: String(data.get('name') ?? ''),
          email: String(data.get('email') ?? ''),
          password: String(data.get('password') ?? ''),
        });
      }}
    >
      <Stack>
        <Title order={1}>Create an account</Title>
        <ProblemAlert error={mutation.error} title="Could not create the account" />
        <TextInput label="Name" name="name" autoComplete="name" required error={errors.name} />
        <TextInput label="Email" name="email" type="email" autoComplete="email" required error={errors.email} />
        <TextInput
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          description="8 to 256 characters"
          required
          error={errors.password}
        />
        <Button type="submit" loading={mutation.isPending}>
          Sign up
        </Button>
        <TextLink to="/sign-in">I already have an account</TextLink>
      </Stack>
    </form>
  );
}
