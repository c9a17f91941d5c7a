import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/', 'coverage/', 'src/generated/', 'node_modules/', '.tmp/', 'web/dist/', 'web/src/api/schema.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/generated/prisma/**', '@prisma/client', '@prisma/adapter-pg'],
              message: 'Only repositories, src/db and the seed may import Prisma.',
            },
          ],
        },
      ],
    },
  },
  {
    // What the api's root built is on `app.services` for tests and scripts; inside src/ a route
    // or plugin gets what it needs through its options, never by reaching into the app.
    files: ['src/**'],
    ignores: ['src/compose/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='services'][object.type!='ThisExpression']",
          message: 'Take the service through the plugin options (see src/compose/api.ts), not from app.services.',
        },
      ],
    },
  },
  {
    // The layers allowed to speak Prisma.
    files: ['src/**/*.repository.ts', 'src/db/**', 'prisma/**', 'test/**', 'tools/**', 'scripts/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The browser app (web/): browser globals instead of Node's.
    files: ['web/src/**'],
    languageOptions: { globals: globals.browser },
  },
);
