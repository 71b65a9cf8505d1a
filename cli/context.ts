// What every command runs with: the global flags, the terminal, and connections to the
// cluster and to Temporal, each opened only when a command first needs it. The
// Kubernetes client library, the heaviest module the CLI loads, is loaded only once a
// command is about to run, so `--help` and usage errors answer at once.
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import type { FluxObjects } from '../kube/flux-objects.js';
import { parseDuration } from '../domain/duration.js';
import { SettingsError, temporalOptions, temporalSettings, type TemporalFlags, type TemporalSettings } from '../workers/settings.js';
import { canonicalWords, type Invocation, type OptionSpec, type OptionSpecs } from './args.js';
import type { CliCluster } from './cluster.js';
import { CliError, UsageError } from './errors.js';
import { connectTemporal, type TemporalSession } from './temporal.js';
import { Terminal, type CliIo } from './terminal.js';

const temporalFlagHelp: Record<keyof typeof temporalOptions, Omit<OptionSpec, 'type'>> = {
  // No `default` here: the TEMPORAL_* variables come before the defaults.
  'temporal-address': { value: 'HOST:PORT', description: 'the Temporal frontend; TEMPORAL_ADDRESS, else 127.0.0.1:7233' },
  'temporal-namespace': { value: 'NAME', description: 'the Temporal namespace; TEMPORAL_NAMESPACE, else default' },
  tls: { description: 'connect to Temporal over TLS; TEMPORAL_TLS=true' },
  'tls-ca-path': { value: 'FILE', description: "the Temporal server's CA certificate; TEMPORAL_TLS_CA" },
  'tls-cert-path': { value: 'FILE', description: 'client certificate for Temporal mTLS; TEMPORAL_TLS_CERT' },
  'tls-key-path': { value: 'FILE', description: 'client key for Temporal mTLS; TEMPORAL_TLS_KEY' },
  'tls-server-name': { value: 'NAME', description: "the Temporal server's TLS name; TEMPORAL_TLS_SERVER_NAME" },
};

export const globalOptions: OptionSpecs = {
  namespace: { type: 'string', short: 'n', value: 'NAME', description: 'the namespace of the objects', default: 'flux-system' },
  kubeconfig: { type: 'string', value: 'FILE', description: 'the kubeconfig (default KUBECONFIG, then ~/.kube/config, then in-cluster)' },
  context: { type: 'string', value: 'NAME', description: 'the kubeconfig context to use' },
  timeout: { type: 'string', value: 'DURATION', description: 'how long to wait for a reconcile or a cluster operation', default: '5m' },
  ...Object.fromEntries(Object.entries(temporalOptions).map(([name, { type }]) => [name, { type, ...temporalFlagHelp[name as keyof typeof temporalOptions] }])),
  'task-queue-prefix': { type: 'string', value: 'PREFIX', description: "the workers' task queue prefix; KIMBERNETES_TASK_QUEUE_PREFIX" },
  'no-color': { type: 'boolean', description: 'no colours, even on a terminal; NO_COLOR' },
  help: { type: 'boolean', short: 'h', description: 'help for the command' },
};

export interface CliContext {
  terminal: Terminal;
  /** -n, --namespace */
  namespace: string;
  timeoutMs: number;
  taskQueuePrefix: string;
  temporalSettings: TemporalSettings;
  /** --kubeconfig, when given (kubectl's own defaults otherwise) */
  kubeconfigPath?: string;
  kubeContext?: string;
  now(): number;
  kubeConfig(): KubeConfig;
  kube(): KubeClient;
  objects(): FluxObjects;
  cluster(): CliCluster;
  /** the Temporal connection; a CliError when Temporal cannot be reached */
  temporal(): Promise<TemporalSession>;
  close(): Promise<void>;
}

export async function createContext(invocation: Invocation, io: CliIo): Promise<CliContext> {
  const words = canonicalWords(invocation.command);
  const timeoutMs = parseDuration(invocation.string('timeout')!);
  if (!timeoutMs) throw new UsageError(`--timeout must be a duration such as 90s or 5m, got '${invocation.string('timeout')}'`, words);
  let settings: TemporalSettings;
  try {
    const flags = Object.fromEntries(Object.entries(temporalOptions).map(([name, { type }]) => [name, type === 'boolean' ? (invocation.flag(name) || undefined) : invocation.string(name)]));
    settings = temporalSettings(flags as TemporalFlags, io.env);
  } catch (error) {
    if (error instanceof SettingsError) throw new UsageError(error.message, words);
    throw error;
  }
  const [{ createKubeClient, loadKubeConfig }, { createFluxObjects }, { createCliCluster }] = await Promise.all([
    import('../kube/client.js'),
    import('../kube/flux-objects.js'),
    import('./cluster.js'),
  ]);
  const kubeconfigPath = invocation.string('kubeconfig');
  const kubeContext = invocation.string('context');
  let config: KubeConfig | undefined;
  let kube: KubeClient | undefined;
  let objects: FluxObjects | undefined;
  let cluster: CliCluster | undefined;
  let session: Promise<TemporalSession> | undefined;

  const kubeConfig = () => {
    if (config) return config;
    try {
      config = loadKubeConfig(kubeconfigPath);
    } catch (error) {
      throw new CliError(`cannot load the kubeconfig${kubeconfigPath ? ` ${kubeconfigPath}` : ''}: ${(error as Error).message}`);
    }
    if (kubeContext) {
      if (!config.getContextObject(kubeContext)) throw new CliError(`context '${kubeContext}' not found in the kubeconfig`);
      config.setCurrentContext(kubeContext);
    }
    return config;
  };

  return {
    terminal: new Terminal(io, { noColor: invocation.flag('no-color') }),
    namespace: invocation.string('namespace')!,
    timeoutMs,
    taskQueuePrefix: invocation.string('task-queue-prefix') ?? io.env.KIMBERNETES_TASK_QUEUE_PREFIX ?? '',
    temporalSettings: settings,
    kubeconfigPath,
    kubeContext,
    now: () => Date.now(),
    kubeConfig,
    kube: () => (kube ??= createKubeClient(kubeConfig())),
    objects: () => (objects ??= createFluxObjects(kubeConfig())),
    cluster: () => (cluster ??= createCliCluster(kubeConfig())),
    temporal: () => (session ??= connectTemporal(settings)),
    async close() {
      const opened = await session?.catch(() => undefined);
      await opened?.close();
    },
  };
}
