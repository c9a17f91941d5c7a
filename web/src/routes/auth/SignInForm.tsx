import { Alert, Button, Group, Stack, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { signIn } from '../../auth/actions';
import { sessionEndNotice } from '../../auth/session';
import { TextLink } from '../../components/links';
import { ProblemAlert, fieldErrors } from '../../components/ProblemAlert';

/**
 * The sign-in form. Shown at /sign-in and in place of any page that needs a session, so signing
 * in leaves the user on the page they asked for.
 */
export function SignInForm({ onSignedIn }: { onSignedIn?: () => void }) {
  const mutation = useMutation({
    mutationFn: (form: { email: string; password: string }) => signIn(form.email, form.password),
    onSuccess: () => onSignedIn?.(),
  });
  const errors = fieldErrors(mutation.error);
  const notice = sessionEndNotice();
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        mutation.mutate({ email: String(data.get('email') ?? ''), password: String(data.get('password') ?? '') });
      }}
    >
      <Stack>
        <Title order={1}>Sign in</Title>
        {notice && !mutation.error && <Alert role="status">{notice}</Alert>}
        <ProblemAlert error={mutation.error} title="Could not sign in" />
        <TextInput label="Email" name="email" type="email" autoComplete="username" required error={errors.username} />
        <TextInput
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          error={errors.password}
        />
        <Button type="submit" loading={mutation.isPending}>
          Sign in
        </Button>
        <Group justify="space-between">
          <TextLink to="/sign-up">Create an account</TextLink>
          <TextLink to="/forgot-password">Forgot your password?</TextLink>
        </Group>
      </Stack>
    </form>
  );
}
