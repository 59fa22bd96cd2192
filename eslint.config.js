import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import fleetwire from './lint/package-boundaries.js';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.fleetwire/**', '**/*.py', 'cloud/src/dashboard/static/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // Type-aware rules: in a code base built on promises, one not awaited or handed where a
    // callback's result is ignored loses its error silently.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { fleetwire },
    rules: { 'fleetwire/package-boundaries': 'error', 'fleetwire/package-graph': 'error' },
  },
);
