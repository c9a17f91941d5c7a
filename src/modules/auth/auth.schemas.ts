import { Type } from 'typebox';
import { Email, Name, Password } from '../users/users.schemas.js';

// Each request schema carries one valid example: Swagger UI and client generators show it, and
// test/contract/examples.test.ts sends it to check that it passes validation.
const ACCOUNT = { email: 'ada@example.com', password: 'correct horse battery staple' };

export const RegisterBody = Type.Object(
  { email: Email, password: Password, name: Name },
  { additionalProperties: false, title: 'Register', examples: [{ ...ACCOUNT, name: 'Ada Lovelace' }] },
);

/** OAuth2 password grant: `username` carries the email. Accepted as a form or as JSON. */
export const TokenBody = Type.Object(
  {
    grant_type: Type.Optional(Type.Literal('password')),
    username: Type.String({ minLength: 1, maxLength: 254, description: 'The account email' }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
    scope: Type.Optional(Type.String({ maxLength: 1000 })),
    client_id: Type.Optional(Type.String({ maxLength: 200 })),
    client_secret: Type.Optional(Type.String({ maxLength: 200 })),
  },
  {
    title: 'TokenRequest',
    examples: [{ grant_type: 'password', username: ACCOUNT.email, password: ACCOUNT.password }],
  },
);

export const TokenPairOut = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
    refresh_token: Type.String(),
  },
  { title: 'TokenPair' },
);

/** The refresh token may come in the body or, for browsers, in the httpOnly cookie. */
export const RefreshBody = Type.Object(
  {
    refresh_token: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2048, description: 'Omit it to use the `refresh_token` cookie' }),
    ),
  },
  {
    additionalProperties: false,
    title: 'RefreshRequest',
    examples: [{ refresh_token: 'the refresh_token of your last token pair' }],
  },
);

export const PasswordResetRequestBody = Type.Object(
  { email: Email },
  { additionalProperties: false, title: 'PasswordResetRequest', examples: [{ email: ACCOUNT.email }] },
);

export const PasswordResetConfirmBody = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 200, description: 'The token from the emailed link' }),
    password: Password,
  },
  {
    additionalProperties: false,
    title: 'PasswordResetConfirm',
    examples: [{ token: 'the token from the emailed link', password: 'a new, long passphrase' }],
  },
);

export const AcceptedOut = Type.Object({ detail: Type.String() }, { title: 'Accepted' });
