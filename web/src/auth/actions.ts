// Sign in and sign out: the two places a session starts and ends on purpose.
import { api } from '../api/client';
import { ApiError, UNREACHABLE, callError } from '../api/problem';
import { publicClient } from '../api/public-client';
import { queryClient } from '../query-client';
import { acceptTokenPair, endSession } from './session';

export async function signIn(email: string, password: string): Promise<void> {
  let result;
  try {
    result = await publicClient.POST('/api/v1/auth/token', {
      body: { grant_type: 'password', username: email, password },
    });
  } catch {
    throw new ApiError(UNREACHABLE, undefined);
  }
  if (!result.data) throw await callError(result);
  queryClient.clear();
  acceptTokenPair(result.data);
}

export async function signOut(): Promise<void> {
  try {
    // Revokes the session on the api and clears the refresh cookie; failing to reach the api
    // still signs this browser out (the access token is forgotten, the cookie expires on its own).
    await api.POST('/api/v1/auth/logout');
  } finally {
    endSession();
    queryClient.clear();
  }
}
