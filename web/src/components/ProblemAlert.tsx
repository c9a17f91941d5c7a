import { Alert } from '@mantine/core';
import { ApiError, describeError } from '../api/problem';

/**
 * The message of a failed call, announced to screen readers. Field errors are shown next to their
 * fields by the form; here only the summary (the problem's detail or title).
 */
export function ProblemAlert({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  if (!error) return null;
  const heading = error instanceof ApiError && error.problem ? error.problem.title : title;
  return (
    <Alert color="red" title={heading} role="alert" variant="light">
      {describeError(error)}
    </Alert>
  );
}

export function fieldErrors(error: unknown): Record<string, string> {
  return error instanceof ApiError ? error.fieldErrors() : {};
}
