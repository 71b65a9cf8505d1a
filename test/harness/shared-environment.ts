// What the global set-up started, as the test files see it (they run in other processes).
import { readFileSync } from 'node:fs';

export interface SharedEnvironment {
  temporalAddress: string;
  temporalNamespace: string;
  kubeconfigPath: string;
  /** the workflow bundle, made once per run */
  workflowBundlePath: string;
}

export const sharedEnvironmentVariable = 'KIMBERNETES_TEST_ENVIRONMENT';

export function sharedEnvironment(): SharedEnvironment {
  const file = process.env[sharedEnvironmentVariable];
  if (!file) throw new Error(`${sharedEnvironmentVariable} is not set: integration tests run through the global set-up (npm test)`);
  return JSON.parse(readFileSync(file, 'utf8')) as SharedEnvironment;
}
