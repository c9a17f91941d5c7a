import { useNavigate, useSearch } from '@tanstack/react-router';
import { useEffect } from 'react';
import { useSessionStatus } from '../../auth/use-session';
import { Loading } from '../../components/StatusScreens';
import { SignInForm } from './SignInForm';

export function SignInPage() {
  const status = useSessionStatus();
  const navigate = useNavigate();
  const { redirect } = useSearch({ from: '/sign-in' });
  // Only a path of this app: never an absolute URL (an open redirect).
  const target = redirect?.startsWith('/') && !redirect.startsWith('//') ? redirect : '/items';
  // Signed in (just now, or already in another tab): go where the user was heading.
  useEffect(() => {
    if (status === 'signed-in') void navigate({ href: target, replace: true });
  }, [status, target, navigate]);
  return status === 'signed-in' ? <Loading /> : <SignInForm />;
}
