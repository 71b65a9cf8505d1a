// Jest runs in ESM mode (NODE_OPTIONS=--experimental-vm-modules, set by `npm test`):
// @kubernetes/client-node 1.x is ESM-only and Jest's CommonJS loader cannot require it.
const typescript = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testEnvironment: 'node',
};

export default {
  projects: [
    {
      ...typescript,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      ...typescript,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // One Temporal dev server and one kwok cluster for the whole run.
      globalSetup: '<rootDir>/test/harness/global-setup.js',
      globalTeardown: '<rootDir>/test/harness/global-teardown.js',
    },
  ],
  reporters: ['default', '<rootDir>/test/harness/summary-reporter.js'],
  testTimeout: 180_000,
  // Integration test files share one cluster and one server on 2 cores.
  maxWorkers: 2,
};
