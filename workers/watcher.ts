// Discovery: watches Flux objects and turns each add, meaningful update and delete into a
// signal-with-start of that object's workflow. Repeating a signal is harmless (signals
// coalesce into one pending reconcile), so several worker replicas may watch at once.
// With Kustomizations it also watches, as kustomize-controller does, the ConfigMaps and
// Secrets labelled reconcile.fluxcd.io/watch=Enabled: a change to one wakes the
// Kustomizations that read it.
import { CoreV1Api, makeInformer, type Informer, type KubeConfig, type KubernetesObject as ClientObject, type ObjectCache } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { fluxKinds, type FluxKindName } from '../kube/flux-kinds.js';
import type { FluxObjects } from '../kube/flux-objects.js';
import type { KubernetesObject } from '../kube/objects.js';
import { kustomizationsReading, watchLabelSelector, type ConfigIdentity } from '../domain/config-dependencies.js';
import { observe, wakesReconcile, type ObservedObject } from '../domain/watch-changes.js';
import { reconcileObject } from '../temporal/object-loops.js';

export interface WatcherOptions {
  kubeConfig: KubeConfig;
  objects: FluxObjects;
  client: Client;
  kinds: FluxKindName[];
  /** watch one namespace only; all namespaces when absent */
  namespace?: string;
  taskQueuePrefix?: string;
  log?: (entry: Record<string, unknown>) => void;
}

export interface Watcher {
  stop(): Promise<void>;
}

type Log = (entry: Record<string, unknown>) => void;
type ClientInformer = Informer<ClientObject> & ObjectCache<ClientObject>;

interface Watch {
  informer: ClientInformer;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const restartDelayMs = 2_000;

export async function startWatcher(options: WatcherOptions): Promise<Watcher> {
  const { kubeConfig, objects, client, namespace, taskQueuePrefix } = options;
  const log = options.log ?? (() => {});
  const watches = new Map<FluxKindName, Watch>();
  for (const kind of options.kinds) {
    const { group, version, plural } = fluxKinds[kind];
    const path = namespace ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}` : `/apis/${group}/${version}/${plural}`;
    const list = () => objects.list(kind, namespace) as Promise<{ items: ClientObject[]; metadata: { resourceVersion?: string } }>;
    const watch = supervised(makeInformer(kubeConfig, path, list as never), kind, log);
    const seen = new Map<string, ObservedObject>();

    const wake = (object: ClientObject, deleted = false) => {
      const name = object.metadata?.name;
      const objectNamespace = object.metadata?.namespace;
      if (!name || !objectNamespace) return;
      const key = `${objectNamespace}/${name}`;
      const current = observe(object.metadata ?? {});
      if (deleted) seen.delete(key);
      else if (!wakesReconcile(seen.get(key), current)) return;
      else seen.set(key, current);
      const ref = { kind, namespace: objectNamespace, name };
      // A deletion is news the annotation and generation do not tell: a plain request, which always reconciles.
      const request = deleted || current.deleting ? {} : { requestedAt: current.requestedAt, generation: current.generation };
      reconcileObject(client, ref, { ...request, taskQueuePrefix }).then(
        () => log({ level: 'info', msg: deleted ? 'object deleted' : 'reconcile requested', kind, namespace: objectNamespace, name }),
        (error: unknown) => log({ level: 'error', msg: 'could not signal the object workflow', kind, namespace: objectNamespace, name, error: String(error) }),
      );
    };
    watch.informer.on('add', (object) => wake(object));
    watch.informer.on('update', (object) => wake(object));
    watch.informer.on('delete', (object) => wake(object, true));
    watches.set(kind, watch);
  }
  await Promise.all([...watches.values()].map((watch) => watch.start()));

  // Started once the Kustomizations are listed, so that the first change finds its readers.
  const kustomizations = watches.get('Kustomization');
  const configWatches = kustomizations ? (['ConfigMap', 'Secret'] as const).map((kind) => watchConfigs(kind, kustomizations.informer, options, log)) : [];
  await Promise.all(configWatches.map((watch) => watch.start()));

  return {
    async stop() {
      await Promise.all([...watches.values(), ...configWatches].map((watch) => watch.stop()));
    },
  };
}

/** The labelled ConfigMaps or Secrets, in the watched namespace: each change wakes the Kustomizations that read it. */
function watchConfigs(kind: ConfigIdentity['kind'], kustomizations: ObjectCache<ClientObject>, options: WatcherOptions, log: Log): Watch {
  const { kubeConfig, client, namespace, taskQueuePrefix } = options;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const labelSelector = watchLabelSelector;
  const plural = kind === 'ConfigMap' ? 'configmaps' : 'secrets';
  const path = namespace ? `/api/v1/namespaces/${namespace}/${plural}` : `/api/v1/${plural}`;
  const list = async () => {
    const listed =
      kind === 'ConfigMap'
        ? await (namespace ? core.listNamespacedConfigMap({ namespace, labelSelector }) : core.listConfigMapForAllNamespaces({ labelSelector }))
        : await (namespace ? core.listNamespacedSecret({ namespace, labelSelector }) : core.listSecretForAllNamespaces({ labelSelector }));
    for (const item of listed.items) forgetData(item);
    return listed;
  };
  const watch = supervised(makeInformer(kubeConfig, path, list as never, labelSelector), kind, log);
  // The first list is what was there before: the Kustomizations' own first reconciles read it.
  let listed = false;

  const wake = (config: ClientObject, change: 'created' | 'changed' | 'deleted') => {
    forgetData(config);
    const name = config.metadata?.name;
    const configNamespace = config.metadata?.namespace;
    if (!listed || !name || !configNamespace) return;
    const trigger = `${kind} ${configNamespace}/${name} ${change}`;
    for (const ref of kustomizationsReading({ kind, namespace: configNamespace, name }, kustomizations.list(configNamespace) as KubernetesObject[])) {
      reconcileObject(client, { kind: 'Kustomization', ...ref }, { taskQueuePrefix }).then(
        () => log({ level: 'info', msg: 'reconcile requested', kind: 'Kustomization', ...ref, trigger }),
        (error: unknown) => log({ level: 'error', msg: 'could not signal the object workflow', kind: 'Kustomization', ...ref, trigger, error: String(error) }),
      );
    }
  };
  watch.informer.on('add', (config) => wake(config, 'created'));
  watch.informer.on('update', (config) => wake(config, 'changed'));
  watch.informer.on('delete', (config) => wake(config, 'deleted'));
  return {
    ...watch,
    async start() {
      await watch.start();
      listed = true;
    },
  };
}

/**
 * Only the metadata of a watched config is needed: the values go, so that the cache
 * (which keeps the very object its handlers get) holds no Secret data, as Flux's
 * metadata-only watch holds none.
 */
function forgetData(config: ClientObject): void {
  const values = config as { data?: unknown; stringData?: unknown; binaryData?: unknown };
  delete values.data;
  delete values.stringData;
  delete values.binaryData;
}

/** An informer that starts again after its watch fails, until stopped. */
function supervised(informer: ClientInformer, kind: string, log: Log): Watch {
  let stopped = false;
  informer.on('error', (error: unknown) => {
    if (stopped) return;
    log({ level: 'warn', msg: 'watch failed; restarting', kind, error: String(error) });
    setTimeout(() => {
      if (!stopped) informer.start().catch(() => undefined);
    }, restartDelayMs);
  });
  return {
    informer,
    start: () => informer.start(),
    stop: async () => {
      stopped = true;
      await informer.stop();
    },
  };
}
