import { useNavigate, useSearch } from '@tanstack/react-router';
import { SignInForm } from './SignInForm';

export function SignInPage() {
  const navigate = useNavigate();
  const { redirect } = useSearch({ from: '/sign-in' });
  // Only a path of this app: never an absolute URL (an open redirect).
  const target = redirect?.startsWith('/') && !redirect.startsWith('//') ? redirect : '/items';
  return <SignInForm onSignedIn={() => void navigate({ href: target })} />;
}
