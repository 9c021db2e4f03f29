import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Boundaries from the architecture: dependencies point inward, config is read in one place.
const inwardOnly = (...forbidden) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: forbidden.map((group) => ({
        group: [group],
        message: 'Dependencies point inward: channels, handoff, api -> assistant, knowledge, tickets -> core.',
      })),
    },
  ],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'coverage/**', 'web/**/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration through core/config.ts.',
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['core/config.ts', '**/*.test.ts', 'test/**', 'bench/**', 'scripts/**', 'vitest.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  { files: ['bench/**', 'test/**', 'scripts/**', 'api/main.ts', 'knowledge/cli.ts'], rules: { 'no-console': 'off' } },
  { files: ['eslint.config.js'], rules: { 'no-restricted-syntax': 'off' } },
  { files: ['web/**/*.js'], languageOptions: { sourceType: 'script', globals: globals.browser } },
  {
    files: ['core/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: inwardOnly(
      '**/assistant/**',
      '**/knowledge/**',
      '**/tickets/**',
      '**/channels/**',
      '**/handoff/**',
      '**/api/**',
    ),
  },
  {
    files: ['assistant/**/*.ts', 'knowledge/**/*.ts', 'tickets/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: inwardOnly('**/channels/**', '**/handoff/**', '**/api/**', 'pg', 'bullmq', 'ioredis', 'fastify'),
  },
  {
    files: ['channels/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: inwardOnly('**/api/**', '**/handoff/**', '**/core/db/**', 'pg', 'kysely'),
  },
);
