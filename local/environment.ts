// The embedded default's infrastructure: a Temporal dev server and a local kwok cluster,
// started together and stopped together. Used by `npm run dev`, the demo and the tests.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTemporalDevServer, type TemporalDevServer, type TemporalDevServerOptions } from './temporal.js';
import { createKwokCluster, type KwokCluster } from './kwok.js';

export interface LocalEnvironment {
  temporal: TemporalDevServer;
  cluster: KwokCluster;
  stop(): Promise<void>;
}

export interface LocalEnvironmentOptions {
  stateDir: string;
  clusterName: string;
  nodes: number;
  temporal?: Omit<TemporalDevServerOptions, 'stateDir'>;
}

export async function startLocalEnvironment(options: LocalEnvironmentOptions): Promise<LocalEnvironment> {
  mkdirSync(options.stateDir, { recursive: true });
  const [temporal, cluster] = await Promise.allSettled([
    startTemporalDevServer({ ...options.temporal, stateDir: options.stateDir }),
    createKwokCluster({ name: options.clusterName, workdir: join(options.stateDir, 'kwok'), nodes: options.nodes }),
  ]);
  if (temporal.status === 'rejected' || cluster.status === 'rejected') {
    if (temporal.status === 'fulfilled') await temporal.value.stop();
    if (cluster.status === 'fulfilled') await cluster.value.stop().catch(() => undefined);
    const failures = [temporal, cluster].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    throw new Error(failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join('\n'));
  }
  return {
    temporal: temporal.value,
    cluster: cluster.value,
    async stop() {
      await Promise.allSettled([temporal.value.stop(), cluster.value.stop()]);
    },
  };
}
