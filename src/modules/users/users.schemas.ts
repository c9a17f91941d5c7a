// A user's shapes, in one place: the TypeBox schemas and the types derived from them, plus the
// two domain forms the schemas do not describe (with the password hash, and a write's columns).
import { Type, type Static } from 'typebox';
import { IdParams } from '../../lib/ids.js';
import { DateTime } from '../../lib/openapi.js';
import { Page, paginationProperties } from '../../lib/pagination.js';

export const RoleSchema = Type.Enum(['USER', 'ADMIN'], { title: 'Role' });
export const Email = Type.String({ format: 'email', maxLength: 254 });
export const Password = Type.String({ minLength: 8, maxLength: 256, description: '8 to 256 characters' });
export const Name = Type.String({ minLength: 1, maxLength: 100 });

/** What any response may say about a user: no hash, no token, ever. */
export const UserOut = Type.Object(
  {
    id: Type.Integer(),
    email: Type.String(),
    name: Type.String(),
    role: RoleSchema,
    isActive: Type.Boolean(),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { title: 'User' },
);

export const UserId = IdParams;

export const UpdateMeBody = Type.Object(
  {
    name: Type.Optional(Name),
    email: Type.Optional(Email),
    password: Type.Optional(Password),
    currentPassword: Type.Optional(
      Type.String({ maxLength: 256, description: 'Required to change email or password' }),
    ),
  },
  { additionalProperties: false, minProperties: 1, title: 'UpdateMe', examples: [{ name: 'Ada Lovelace' }] },
);

export const AdminUpdateBody = Type.Object(
  { name: Type.Optional(Name), role: Type.Optional(RoleSchema), isActive: Type.Optional(Type.Boolean()) },
  {
    additionalProperties: false,
    minProperties: 1,
    title: 'AdminUpdateUser',
    examples: [{ role: 'USER', isActive: true }],
  },
);

export const ListUsersQuery = Type.Object(
  { ...paginationProperties, role: Type.Optional(RoleSchema) },
  { additionalProperties: false },
);

/** The enum path parameter of the notes: `/users/role/{role}`. */
export const RoleParams = Type.Object({ role: RoleSchema });

export const UserPage = Page(UserOut, 'UserPage');

/** A user as every layer passes it around: never the hash (DateTime is a Date server-side). */
export type User = Static<typeof UserOut>;
/** A user together with the hash; only the auth service ever asks for it. */
export type UserWithSecret = User & { passwordHash: string };
/** The columns a write may change (UsersRepository.update). */
export type UserChanges = Partial<Pick<UserWithSecret, 'name' | 'email' | 'role' | 'isActive' | 'passwordHash'>>;
/** PATCH /users/me: the body. */
export type ProfileChanges = Static<typeof UpdateMeBody>;
/** PATCH /users/:id by an admin: the body. */
export type AdminChanges = Static<typeof AdminUpdateBody>;
/** The list's filter: the query without paging. */
export type UserFilter = Omit<Static<typeof ListUsersQuery>, 'skip' | 'limit'>;
