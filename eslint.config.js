// The linter `.ci/run` runs (`npm run lint`): ESLint's recommended rules and typescript-eslint's
// type-aware ones (floating and misused promises, unsafe `any`, needless assertions), on every
// TypeScript file of the repository. Import rules (layers, cycles) are dependency-cruiser's:
// see .dependency-cruiser.cjs.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** node:test's `describe`/`it`/`test` return promises the runner itself awaits. */
const nodeTestCalls = [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }];

export default tseslint.config(
  { ignores: ['build/**', 'node_modules/**', 'packages/*/dist/**', 'packages/*/node_modules/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: nodeTestCalls }],
      // Fastify route handlers and store methods are `async` by contract, awaited or not.
      '@typescript-eslint/require-await': 'off',
      // The console's async event handlers (onSubmit, onClick) report their own failures.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      // Rethrowing what was caught (unknown by nature) is how a failure is passed on.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests and benchmarks read JSON answers (`any` by nature) and assert on their fields.
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', AbortSignal: 'readonly', module: 'writable', require: 'readonly' } },
  },
);
