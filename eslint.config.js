import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** A hand-written promise sleep. */
const SLEEP = {
  selector:
    "NewExpression[callee.name='Promise'] > ArrowFunctionExpression > CallExpression[callee.name='setTimeout']",
  message: "Use `import { setTimeout as sleep } from 'node:timers/promises'`.",
};

/** Hand-written °F/°C arithmetic: (c * 9) / 5, ((f - 32) * 5) / 9, × or ÷ 1.8. */
const CONVERSION_MESSAGE = 'Convert temperatures with src/domain/units.ts (one copy of the rule).';
const CONVERSIONS = [
  "BinaryExpression[operator='/'][right.value=5] > BinaryExpression.left[operator='*'][right.value=9]",
  "BinaryExpression[operator='/'][right.value=9] > BinaryExpression.left[operator='*'][right.value=5]",
  'BinaryExpression[right.value=1.8]',
].map((selector) => ({ selector, message: CONVERSION_MESSAGE }));

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'dist/', 'test-results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // CommonJS tool configs (.dependency-cruiser.cjs).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    // One sleep: node:timers/promises, not a promise around setTimeout written again in each file.
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', SLEEP] },
  },
  {
    // One °F/°C conversion: domain/units.ts (SQL: db/sql-units.ts). Tests may compute expectations on their own.
    files: ['src/**/*.ts', 'bench/**/*.ts'],
    ignores: ['src/domain/units.ts', 'src/**/*.test.ts'],
    rules: { 'no-restricted-syntax': ['error', SLEEP, ...CONVERSIONS] },
  },
  {
    files: ['web/src/**/*.ts', 'web/src/**/*.tsx'],
    rules: { 'no-restricted-syntax': ['error', ...CONVERSIONS] },
  },
  {
    // Only CLI output and the entry point may print; everything else logs through pino.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/main.ts'],
    rules: { 'no-console': 'error' },
  },
);
