// What every command runs with: the global flags, the terminal, and connections to the
// cluster and to Temporal, each opened only when a command first needs it. The
// Kubernetes client library, the heaviest module the CLI loads, is loaded only by the
// commands that apply, build or diff (and for credentials only it handles, such as
// exec plugins): reading and patching Flux objects go over kube/rest.ts.
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import type { FluxObjects } from '../kube/flux-objects.js';
import { parseDuration } from '../domain/duration.js';
import { SettingsError, temporalOptions, temporalSettings, type TemporalFlags, type TemporalSettings } from '../workers/settings.js';
import { canonicalWords, type Invocation, type OptionSpec, type OptionSpecs } from './args.js';
import { KubeconfigError, readKubeconfigEndpoint } from '../kube/kubeconfig.js';
import { endpointOfKubeConfig, type KubeEndpoint } from '../kube/rest.js';
import { createCliCluster, type CliCluster } from './cluster.js';
import { CliError, UsageError } from './errors.js';
import type { LoopQueries } from './loop-queries.js';
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
  /** the kubeconfig as the Kubernetes client library loads it */
  kubeConfig(): Promise<KubeConfig>;
  kube(): Promise<KubeClient>;
  objects(): Promise<FluxObjects>;
  /** Flux objects, events, version and CRDs, read without the client library */
  cluster(): CliCluster;
  /** the Temporal connection; a CliError when Temporal cannot be reached */
  temporal(): Promise<TemporalSession>;
  /** the loops' `status` query, without the Temporal client library; a CliError when Temporal cannot be reached */
  loopQueries(): Promise<LoopQueries>;
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
  const kubeconfigPath = invocation.string('kubeconfig');
  const kubeContext = invocation.string('context');
  const loadFailure = (error: unknown) =>
    error instanceof KubeconfigError ? new CliError(error.message) : new CliError(`cannot load the kubeconfig${kubeconfigPath ? ` ${kubeconfigPath}` : ''}: ${(error as Error).message}`);
  let config: Promise<KubeConfig> | undefined;
  let kube: Promise<KubeClient> | undefined;
  let objects: Promise<FluxObjects> | undefined;
  let session: Promise<TemporalSession> | undefined;
  let queries: Promise<LoopQueries> | undefined;

  const kubeConfig = () =>
    (config ??= import('../kube/client.js').then(({ loadKubeConfig }) => {
      let loaded: KubeConfig;
      try {
        loaded = loadKubeConfig(kubeconfigPath);
      } catch (error) {
        throw loadFailure(error);
      }
      if (kubeContext) {
        if (!loaded.getContextObject(kubeContext)) throw new CliError(`context '${kubeContext}' not found in the kubeconfig`);
        loaded.setCurrentContext(kubeContext);
      }
      return loaded;
    }));

  let direct: ReturnType<typeof readKubeconfigEndpoint> | undefined;
  const endpoint = async (): Promise<KubeEndpoint> => {
    try {
      direct ??= readKubeconfigEndpoint(kubeconfigPath, kubeContext, io.env);
    } catch (error) {
      throw loadFailure(error);
    }
    return 'endpoint' in direct ? direct.endpoint : endpointOfKubeConfig(await kubeConfig());
  };
  const cluster = createCliCluster(endpoint);

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
    kube: () => (kube ??= Promise.all([import('../kube/client.js'), kubeConfig()]).then(([{ createKubeClient }, loaded]) => createKubeClient(loaded))),
    objects: () => (objects ??= Promise.all([import('../kube/flux-objects.js'), kubeConfig()]).then(([{ createFluxObjects }, loaded]) => createFluxObjects(loaded))),
    cluster: () => cluster,
    temporal: () => (session ??= connectTemporal(settings)),
    loopQueries: () => (queries ??= import('./loop-queries.js').then(({ connectLoopQueries }) => connectLoopQueries(settings))),
    async close() {
      const opened = await session?.catch(() => undefined);
      await opened?.close();
      (await queries?.catch(() => undefined))?.close();
    },
  };
}
