// Stops what the global set-up started and removes its state.
import { rmSync } from 'node:fs';

export async function stopEnvironment(): Promise<void> {
  const started = globalThis.kimbernetesTestEnvironment;
  if (!started) return;
  await started.environment.stop();
  rmSync(started.stateDir, { recursive: true, force: true });
  globalThis.kimbernetesTestEnvironment = undefined;
}
