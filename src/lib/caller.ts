// Who is calling: the one type for the signed-in user, from the auth guard (`request.user`) to
// the services that decide what the caller may do. Services read `id` and `role`; the profile
// fields are there for the routes that answer with them.

/** The roles of prisma/schema.prisma's `Role` enum (users.repository.ts checks they match). */
export type Role = 'USER' | 'ADMIN';

export interface Caller {
  id: number;
  email: string;
  name: string;
  role: Role;
}

/** Claims of an access token. `typ` separates access tokens from any other token we sign. */
export interface AccessClaims {
  sub: string;
  role: Role;
  typ: 'access';
  jti: string;
  /** Session id: the refresh-token family the access token belongs to. */
  sid: string;
  iat: number;
  exp: number;
}
