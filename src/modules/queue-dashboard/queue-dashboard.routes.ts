// The bull-board queue dashboard, mounted as an encapsulated sub-application at /admin/queues:
// its routes, view engine, static files and error handler stay inside this scope, and one
// onRequest guard in front of all of them lets only admins in:
//
// - HTTP Basic with an admin account (browsers). The password is checked once, within the
//   credential rate limit, and answered with a session cookie (signed, httpOnly,
//   SameSite=Strict, Path=/admin/queues, DASHBOARD_SESSION_TTL_SECONDS): the dashboard polls
//   every few seconds, and bcrypt on each poll cost 0.3-0.5 s of CPU a time.
// - That cookie, while its session is live and its owner still an active admin.
// - An admin bearer token.
//
// The page loads IBM Plex from Google Fonts: this scope's CSP allows exactly that stylesheet
// and font host, which the API's stricter policy blocks.
import { createHmac } from 'node:crypto';
import cookie from '@fastify/cookie';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import type { AdminCredentials } from './admin-credentials.js';
import { basicCredentials, DASHBOARD_SESSION_TTL_SECONDS } from './admin-credentials.js';
import type { JobQueues } from '../../infra/queues/job-queues.js';
import { bearerToken } from '../../plugins/auth.js';
import { sendProblem } from '../../plugins/errors.js';
import { securityHeaders } from '../../plugins/http-hardening.js';

export interface QueueDashboardOptions {
  queues: JobQueues;
  credentials: AdminCredentials;
  /** Where the sub-application is mounted; bull-board builds its links from it. */
  basePath: string;
}

export const DASHBOARD_COOKIE = 'queues_session';

/** The API's policy, plus the Google Fonts stylesheet and font files the dashboard's page loads. */
export const DASHBOARD_CSP = securityHeaders({
  contentSecurityPolicy: {
    directives: {
      scriptSrc: ["'self'"],
      // Inline styles: the page's loading placeholder and React's style attributes.
      styleSrc: ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
      fontSrc: ["'self'", 'https://fonts.gstatic.com'],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      upgradeInsecureRequests: null,
    },
  },
})['content-security-policy']!;

export const queueDashboard: FastifyPluginAsync<QueueDashboardOptions> = async (
  app,
  { queues, credentials, basePath },
) => {
  // A key of its own, derived from JWT_SECRET: a cookie signature is never a valid JWT HMAC.
  await app.register(cookie, {
    secret: createHmac('sha256', app.config.jwtSecret).update('queue-dashboard-cookie/v1').digest('base64url'),
  });
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: app.config.nodeEnv === 'production',
    path: basePath,
    signed: true,
  };

  const hasSession = async (request: FastifyRequest): Promise<boolean> => {
    const raw = request.cookies[DASHBOARD_COOKIE];
    if (!raw) return false;
    const { valid, value } = request.unsignCookie(raw);
    return valid && value !== null && credentials.isAdminSession(value);
  };

  const hasAdminToken = async (request: FastifyRequest): Promise<boolean> => {
    const token = bearerToken(request);
    if (!token) return false;
    try {
      const { user } = await app.verifyAccessToken(token);
      return user.role === 'ADMIN';
    } catch {
      return false;
    }
  };

  app.addHook('onRequest', async (_request, reply) => {
    reply.header('content-security-policy', DASHBOARD_CSP);
  });

  // Answered here rather than thrown: bull-board installs its own error handler in this scope,
  // which would not produce a problem document.
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      if (await hasSession(request)) return;
      const basic = basicCredentials(request.headers.authorization);
      if (basic) {
        const admin = await app.credentialRateLimit.check(
          request,
          { scope: 'queue-dashboard', subject: basic.email },
          () => credentials.verify(basic.email, basic.password),
          {
            failed: (found) => found === null,
          },
        );
        if (admin) {
          const session = await credentials.openSession(admin.id);
          reply.setCookie(DASHBOARD_COOKIE, session.id, { ...cookieOptions, maxAge: DASHBOARD_SESSION_TTL_SECONDS });
          return;
        }
      } else if (await hasAdminToken(request)) {
        return;
      }
    } catch (err) {
      // 429 (too many wrong passwords) and 503 (the limit cannot count) as problems too.
      if (!(err instanceof AppError)) throw err;
      reply.headers(err.headers);
      return sendProblem(request, reply, err.status, { code: err.code, title: err.title, detail: err.detail });
    }
    if (request.cookies[DASHBOARD_COOKIE]) reply.clearCookie(DASHBOARD_COOKIE, cookieOptions);
    reply.header('www-authenticate', 'Basic realm="queues", charset="UTF-8"');
    return sendProblem(request, reply, 401, { detail: 'The queue dashboard is for administrators' });
  });

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: Object.values(queues.queues).map((queue) => new BullMQAdapter(queue)),
    // @bull-board/fastify 9.10.1 bundles its own copy of @bull-board/api 9.10.1 (ours is 9.10.2):
    // identical at runtime, but TypeScript sees two unrelated declarations of the adapter type.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'Queues' } },
  });
  await app.register(serverAdapter.registerPlugin());
};
