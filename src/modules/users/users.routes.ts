import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { authenticated, emptyResponse, jsonResponse, problems } from '../../lib/openapi.js';
import { PaginationQuery } from '../../lib/pagination.js';
import type { UsersService } from './users.service.js';
import {
  AdminUpdateBody,
  ListUsersQuery,
  RoleParams,
  UpdateMeBody,
  UserId,
  UserOut,
  UserPage,
} from './users.schemas.js';

export interface UsersRoutesOptions {
  users: UsersService;
}

const tags = ['users'];

export const usersRoutes: FastifyPluginAsyncTypebox<UsersRoutesOptions> = async (app, { users }) => {
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/me',
    {
      schema: {
        tags,
        operationId: 'getMe',
        summary: 'Your profile',
        security: authenticated,
        response: { 200: jsonResponse('Your profile', UserOut), ...problems(401) },
      },
    },
    async (request) => users.get(request.user.id),
  );

  app.patch(
    '/me',
    {
      schema: {
        tags,
        operationId: 'updateMe',
        summary: 'Change your profile',
        description:
          'Changing `email` or `password` needs `currentPassword` (LOGIN_RATE_LIMIT_MAX wrong ones per window per client and account, then 429); ' +
          'a new password ends every session, this one included (log in again). Either change voids any outstanding password-reset link. API keys stay: delete them separately.',
        security: authenticated,
        body: UpdateMeBody,
        response: { 200: jsonResponse('Your profile as changed', UserOut), ...problems(401, 409, 422, 429, 503) },
      },
    },
    async (request) => {
      const { body } = request;
      if (body.password === undefined && body.email === undefined) return users.updateProfile(request.user.id, body);
      // The current password is checked: a stolen access token must not buy unlimited guesses.
      return app.credentialRateLimit.check(request, { scope: 'current-password', subject: request.user.id }, () =>
        users.updateProfile(request.user.id, body),
      );
    },
  );

  // Everything below is user management, for admins only.
  const adminOnly = { preHandler: app.requireRole('ADMIN') };

  app.get(
    '/',
    {
      ...adminOnly,
      schema: {
        tags,
        operationId: 'listUsers',
        summary: 'List users (admin)',
        security: authenticated,
        querystring: ListUsersQuery,
        response: {
          200: jsonResponse('One page of users, with the total count', UserPage),
          ...problems(401, 403, 422),
        },
      },
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
        operationId: 'listUsersByRole',
        summary: 'List users of one role (admin)',
        description: 'An enum path parameter: `USER` or `ADMIN`; anything else is 422.',
        security: authenticated,
        params: RoleParams,
        querystring: PaginationQuery,
        response: {
          200: jsonResponse('One page of the users of that role, with the total count', UserPage),
          ...problems(401, 403, 422),
        },
      },
    },
    async (request) => users.list({ role: request.params.role }, request.query),
  );

  app.get(
    '/:id',
    {
      ...adminOnly,
      schema: {
        tags,
        operationId: 'getUser',
        summary: 'Read a user (admin)',
        security: authenticated,
        params: UserId,
        response: { 200: jsonResponse('The user', UserOut), ...problems(401, 403, 404, 422) },
      },
    },
    async (request) => users.get(request.params.id),
  );

  app.patch(
    '/:id',
    {
      ...adminOnly,
      schema: {
        tags,
        operationId: 'updateUser',
        summary: 'Change role, active flag or name (admin)',
        description: 'Deactivating a user ends all of their sessions at once.',
        security: authenticated,
        params: UserId,
        body: AdminUpdateBody,
        response: { 200: jsonResponse('The user as changed', UserOut), ...problems(401, 403, 404, 409, 422) },
      },
    },
    async (request) => users.adminUpdate(request.user.id, request.params.id, request.body),
  );

  app.delete(
    '/:id',
    {
      ...adminOnly,
      schema: {
        tags,
        operationId: 'deleteUser',
        summary: 'Delete a user (admin)',
        security: authenticated,
        params: UserId,
        response: { 204: emptyResponse('Deleted'), ...problems(401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      await users.adminDelete(request.user.id, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
