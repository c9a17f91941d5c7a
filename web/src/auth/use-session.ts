import { useQuery } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import { api, unwrap } from '../api/client';
import { getSessionStatus, subscribeSession, type SessionStatus } from './session';

export function useSessionStatus(): SessionStatus {
  return useSyncExternalStore(subscribeSession, getSessionStatus);
}

/** The signed-in user (GET /users/me); loaded only while a session exists. */
export function useMe() {
  const status = useSessionStatus();
  return useQuery({
    queryKey: ['me'],
    queryFn: () => unwrap(api.GET('/api/v1/users/me')),
    enabled: status === 'signed-in',
  });
}
