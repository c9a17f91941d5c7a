import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { authenticated, problems } from '../../lib/openapi.js';
import { PaginationQuery } from '../../lib/pagination.js';
import type { UsersService } from './users.service.js';
import { AdminUpdateBody, ListUsersQuery, RoleParams, UpdateMeBody, UserId, UserOut, UserPage } from './users.schemas.js';

export interface UsersRoutesOptions {
  users: UsersService;
}

const tags = ['users'];

export const usersRoutes: FastifyPluginAsyncTypebox<UsersRoutesOptions> = async (app, { users }) => {
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/me',
    { schema: { tags, summary: 'Your profile', security: authenticated, response: { 200: UserOut, ...problems(401) } } },
    async (request) => users.get(request.user.id),
  );

  app.patch(
    '/me',
    {
      schema: {
        tags,
        summary: 'Change your profile',
        description: 'Changing `email` or `password` needs `currentPassword`; a new password ends every session, this one included (log in again).',
        security: authenticated,
        body: UpdateMeBody,
        response: { 200: UserOut, ...problems(401, 409, 422) },
      },
    },
    async (request) => users.updateProfile(request.user.id, request.body),
  );

  // Everything below is user management, for admins only.
  const adminOnly = { preHandler: app.requireRole('ADMIN') };

  app.get(
    '/',
    {
      ...adminOnly,
      schema: { tags, summary: 'List users (admin)', security: authenticated, querystring: ListUsersQuery, response: { 200: UserPage, ...problems(401, 403, 422) } },
    },
    async (request) => {
      const { skip, limit, role } = request.query;
      return users.list({ role }, { skip, limit });
    },
  );

  app.get(
    '/role/:role',
    {
      ...adminOnly,
      schema: {
        tags,
        summary: 'List users of one role (admin)',
        description: 'An enum path parameter: `USER` or `ADMIN`; anything else is 422.',
        security: authenticated,
        params: RoleParams,
        querystring: PaginationQuery,
        response: { 200: UserPage, ...problems(401, 403, 422) },
      },
    },
    async (request) => users.list({ role: request.params.role }, request.query),
  );

  app.get(
    '/:id',
    { ...adminOnly, schema: { tags, summary: 'Read a user (admin)', security: authenticated, params: UserId, response: { 200: UserOut, ...problems(401, 403, 404, 422) } } },
    async (request) => users.get(request.params.id),
  );

  app.patch(
    '/:id',
    {
      ...adminOnly,
      schema: {
        tags,
        summary: 'Change role, active flag or name (admin)',
        description: 'Deactivating a user ends all of their sessions at once.',
        security: authenticated,
        params: UserId,
        body: AdminUpdateBody,
        response: { 200: UserOut, ...problems(401, 403, 404, 409, 422) },
      },
    },
    async (request) => users.adminUpdate(request.user.id, request.params.id, request.body),
  );

  app.delete(
    '/:id',
    {
      ...adminOnly,
      schema: { tags, summary: 'Delete a user (admin)', security: authenticated, params: UserId, response: { 204: Type.Null(), ...problems(401, 403, 404, 409, 422) } },
    },
    async (request, reply) => {
      await users.adminDelete(request.user.id, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
