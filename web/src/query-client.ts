import { QueryClient } from '@tanstack/react-query';
import { ApiError } from './api/problem';

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // A problem answer (4xx) will not change on retry; only unreachable/5xx are retried.
      retry: (count, error) => count < 2 && (!(error instanceof ApiError) || error.status === 0 || error.status >= 500),
    },
  },
});
