// Discovery: watches Flux objects and turns each add, meaningful update and delete into a
// signal-with-start of that object's workflow. Repeating a signal is harmless (signals
// coalesce into one pending reconcile), so several worker replicas may watch at once.
import { makeInformer, type KubeConfig, type KubernetesObject as ClientObject } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { fluxKinds, type FluxKindName } from '../kube/flux-kinds.js';
import type { FluxObjects } from '../kube/flux-objects.js';
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

const restartDelayMs = 2_000;

export async function startWatcher(options: WatcherOptions): Promise<Watcher> {
  const { kubeConfig, objects, client, namespace, taskQueuePrefix } = options;
  const log = options.log ?? (() => {});
  const informers = options.kinds.map((kind) => {
    const { group, version, plural } = fluxKinds[kind];
    const path = namespace ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}` : `/apis/${group}/${version}/${plural}`;
    const list = () => objects.list(kind, namespace) as Promise<{ items: ClientObject[]; metadata: { resourceVersion?: string } }>;
    const informer = makeInformer(kubeConfig, path, list as never);
    const seen = new Map<string, ObservedObject>();
    let stopped = false;

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
      reconcileObject(client, ref, { requestedAt: current.requestedAt, generation: current.generation, taskQueuePrefix }).then(
        () => log({ level: 'info', msg: deleted ? 'object deleted' : 'reconcile requested', kind, namespace: objectNamespace, name }),
        (error: unknown) => log({ level: 'error', msg: 'could not signal the object workflow', kind, namespace: objectNamespace, name, error: String(error) }),
      );
    };
    informer.on('add', (object) => wake(object));
    informer.on('update', (object) => wake(object));
    informer.on('delete', (object) => wake(object, true));
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
  });
  await Promise.all(informers.map((entry) => entry.start()));
  return {
    async stop() {
      await Promise.all(informers.map((entry) => entry.stop()));
    },
  };
}
