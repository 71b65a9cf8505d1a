// Lint rules. Workflow code runs in Temporal's deterministic sandbox: it may not touch
// Node builtins, the network, the file system or the Kubernetes client, and imports
// activities as types only.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((name) => [name, `${name}/*`, `node:${name}`, `node:${name}/*`]);

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.kimbernetes/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'workflow code must stay deterministic: do I/O in an activity' })),
            { name: '@kubernetes/client-node', message: 'talk to the cluster from an activity' },
            { name: 'simple-git', message: 'run git from an activity' },
            { name: 'yaml', message: 'parse manifests in an activity; workflows pass references' },
            { name: '@temporalio/worker', message: 'the worker package is not for workflow code' },
            { name: '@temporalio/client', message: 'use child workflows or signals from @temporalio/workflow' },
          ],
          patterns: [
            { group: ['**/activities/*', '**/activities/**'], allowTypeImports: true, message: 'import activities as types only (import type)' },
            { group: ['**/kube/client*', '**/kube/flux-objects*', '**/local/*', '**/workers/*', '**/tools/*', '**/temporal/*', '**/apply/*', '**/kustomize/*', '**/git/*', '**/artifacts/*'], allowTypeImports: true, message: 'I/O modules are not for workflow code' },
          ],
        },
      ],
    },
  },
  {
    // Wiring depends on activities, never the other way round.
    files: ['activities/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/workers/*', '**/workers/**'], message: 'activities must not import the worker wiring' }] }],
    },
  },
  {
    // The CLI is a client: it reads and patches objects and talks to workflows; it runs no activity.
    files: ['cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/activities/*', '**/activities/**'], allowTypeImports: true, message: 'the CLI runs no activity code: share the logic through apply/, kustomize/ or domain/' }] }],
    },
  },
);
