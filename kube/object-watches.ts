// Live objects for health checks, from one watch per kind and cluster target, shared by
// every wait of the worker: a thousand Kustomizations waiting for their Deployments read
// one cache and are woken by its events, so waiting costs no requests. A kind that
// cannot be watched (its list is forbidden to an impersonated ServiceAccount, or it is
// not served) is read with a GET on each look instead, as before.
import { KubernetesObjectApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import { healthIsExistence } from '../domain/health.js';
import type { KubeClient } from './client.js';
import type { KubernetesObject, ObjectReference } from './objects.js';
import { endpointOfKubeConfig, restJson } from './rest.js';

/** What an apply left of an object: its identity and generation. */
export interface AppliedVersion {
  uid?: string;
  generation?: number;
}

export interface LiveObjects {
  /** the object as last seen; undefined when it does not exist */
  get(ref: ObjectReference): Promise<KubernetesObject | undefined>;
  /**
   * Resolves at the next change to one of `refs`, or once `signal` aborts, or after
   * `timing.pollMs` when one of them is of a kind read by GETs, else `timing.maxMs`.
   */
  nextChange(refs: ObjectReference[], timing: LookTiming, signal?: AbortSignal): Promise<void>;
}

export interface LookTiming {
  pollMs: number;
  maxMs: number;
}

export interface ObjectWatches extends LiveObjects {
  /** stops every watch (the worker is stopping) */
  close(): void;
}

/**
 * Whether a watched object is at least the version an apply returned. A watch delivers
 * events a moment after the write: until then the cache holds the object from before the
 * apply (or none), whose status says nothing about the new generation.
 */
export function caughtUp(object: KubernetesObject | undefined, applied: AppliedVersion | undefined): boolean {
  if (!applied) return true;
  if (!object) return applied.uid === undefined;
  if (applied.uid !== undefined && object.metadata.uid !== applied.uid) return false;
  return applied.generation === undefined || (object.metadata.generation ?? 0) >= applied.generation;
}

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

/** Fields a health check never reads and a cache of every object of a kind should not hold. */
function slim(object: KubernetesObject, apiVersion: string, kind: string): KubernetesObject {
  const metadata = { ...object.metadata };
  delete metadata.managedFields;
  if (metadata.annotations?.[lastApplied] !== undefined) {
    metadata.annotations = { ...metadata.annotations };
    delete metadata.annotations[lastApplied];
  }
  // List items carry no apiVersion and kind; health rules need the kind.
  return { ...object, apiVersion, kind, metadata };
}

interface ListPage {
  items?: KubernetesObject[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/** The client library's discovery, asked for the collection path of a kind (`/apis/apps/v1/deployments`). */
class CollectionPaths extends KubernetesObjectApi {
  path(apiVersion: string, kind: string): Promise<string> {
    return this.specUriPath({ apiVersion, kind, metadata: {} }, 'list');
  }
}

/**
 * One page of a collection, as the API server sends it. (The library's own list turns a
 * list's metadata into an object's, which loses the `continue` token, and core kinds
 * into its typed models, whose dates differ from what a watch event carries.)
 */
async function listPage(config: KubeConfig, path: string, limit: number, continueToken: string | undefined): Promise<ListPage> {
  return restJson<ListPage>(await endpointOfKubeConfig(config), { path, query: { limit: String(limit), continue: continueToken } }, `list ${path}`);
}

const relistDelayMs = 1_000;
/** watches that ended in a row without an event before the kind is read by GETs instead */
const maxFailedWatches = 5;

/** how long a kind that could not be watched is read by GETs before a watch is tried again */
const unwatchableForMs = 60_000;

const objectKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;
const kindKey = (ref: { apiVersion: string; kind: string }) => `${ref.apiVersion}|${ref.kind}`;

/** One kind's list and watch, cluster-wide, and its cache. */
class KindWatch {
  readonly objects = new Map<string, KubernetesObject>();
  readonly listeners = new Set<(key: string | undefined) => void>();
  /** resolves once the first list is in; rejects when the kind cannot be listed */
  readonly synced: Promise<void>;
  lastUsedAt = Date.now();
  private resourceVersion = '';
  private failedWatches = 0;
  private request?: AbortController;
  private stopped = false;
  private path = '';

  constructor(
    private readonly kind: { apiVersion: string; kind: string },
    private readonly deps: { config: KubeConfig; paths: CollectionPaths; watch: Watch; throttle: () => Promise<void>; pageSize: number; onBroken: (error: unknown) => void },
  ) {
    this.synced = this.start();
    this.synced.catch(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    this.request?.abort();
  }

  private async start(): Promise<void> {
    this.path = await this.deps.paths.path(this.kind.apiVersion, this.kind.kind);
    await this.list();
    await this.watchFrom();
  }

  private async list(): Promise<void> {
    const items: KubernetesObject[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string;
    do {
      await this.deps.throttle();
      const page = await listPage(this.deps.config, this.path, this.deps.pageSize, continueToken);
      items.push(...(page.items ?? []));
      resourceVersion = page.metadata?.resourceVersion ?? '';
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    this.objects.clear();
    for (const item of items) this.objects.set(objectKey(item.metadata.namespace, item.metadata.name), slim(item, this.kind.apiVersion, this.kind.kind));
    this.resourceVersion = resourceVersion;
    this.notify(undefined);
  }

  private async watchFrom(): Promise<void> {
    if (this.stopped) return;
    await this.deps.throttle();
    const params = { resourceVersion: this.resourceVersion, allowWatchBookmarks: true };
    this.request = await this.deps.watch.watch(this.path, params, (phase, object) => this.onEvent(phase, object), (error) => void this.onDone(error));
    if (this.stopped) this.request.abort();
  }

  private onEvent(phase: string, object: KubernetesObject & { code?: number }): void {
    this.failedWatches = 0;
    if (phase === 'ERROR') {
      // 410 Gone: the resource version is too old; the watch ends and lists anew.
      if (object.code === 410) this.resourceVersion = '';
      return;
    }
    if (object.metadata?.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
    if (phase === 'BOOKMARK') return;
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    if (phase === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, slim(object, this.kind.apiVersion, this.kind.kind));
    this.notify(key);
  }

  /** The watch ended: resumed where it was, or listed anew after an error. */
  private async onDone(error: unknown): Promise<void> {
    this.request = undefined;
    if (this.stopped) return;
    try {
      // A watch refused again and again (listing allowed, watching not): stop trying.
      if (error && ++this.failedWatches >= maxFailedWatches) throw error;
      if (error || !this.resourceVersion) {
        if (error) await new Promise((resolve) => setTimeout(resolve, relistDelayMs));
        if (this.stopped) return;
        await this.list();
      }
      await this.watchFrom();
    } catch (failure) {
      // Listing stopped working (permissions changed, the kind went away): readers fall
      // back to GETs rather than trust a cache that no longer follows the cluster.
      this.stop();
      this.deps.onBroken(failure);
    }
  }

  private notify(key: string | undefined): void {
    for (const listener of this.listeners) listener(key);
  }
}

export interface ObjectWatchesOptions {
  /** every list and watch takes a token of the target's rate limit */
  throttle?: () => Promise<void>;
  /** a kind no wait asked about for this long is no longer watched */
  idleMs?: number;
  /** objects per page of a list (500, as client-go's informers ask) */
  pageSize?: number;
}

export function createObjectWatches(config: KubeConfig, fallback: KubeClient, options: ObjectWatchesOptions = {}): ObjectWatches {
  const { throttle = async () => undefined, idleMs = 10 * 60_000, pageSize = 500 } = options;
  const paths = config.makeApiClient(CollectionPaths);
  const watch = new Watch(config);
  const watches = new Map<string, KindWatch>();
  const unwatchableUntil = new Map<string, number>();
  let closed = false;

  const sweep = setInterval(() => {
    for (const [key, kindWatch] of watches) {
      if (kindWatch.listeners.size === 0 && Date.now() - kindWatch.lastUsedAt > idleMs) {
        kindWatch.stop();
        watches.delete(key);
      }
    }
  }, Math.max(1_000, idleMs / 2));
  sweep.unref();

  function forget(key: string, kindWatch: KindWatch): void {
    kindWatch.stop();
    if (watches.get(key) === kindWatch) watches.delete(key);
    unwatchableUntil.set(key, Date.now() + unwatchableForMs);
  }

  /** The synced watch of the kind, or undefined when that kind is read by GETs. */
  async function watchOf(ref: ObjectReference): Promise<KindWatch | undefined> {
    const key = kindKey(ref);
    // Kinds whose health is their existence are read by a GET: a wait looks once. Above
    // all Secrets: a cache of every Secret of the cluster would hold every credential,
    // and every Helm release, in the worker's memory.
    if (closed || healthIsExistence(ref) || (unwatchableUntil.get(key) ?? 0) > Date.now()) return undefined;
    let kindWatch = watches.get(key);
    if (!kindWatch) {
      const created: KindWatch = new KindWatch(ref, { config, paths, watch, throttle, pageSize, onBroken: () => forget(key, created) });
      kindWatch = created;
      watches.set(key, kindWatch);
    }
    kindWatch.lastUsedAt = Date.now();
    try {
      await kindWatch.synced;
      return kindWatch;
    } catch {
      forget(key, kindWatch);
      return undefined;
    }
  }

  return {
    async get(ref) {
      const kindWatch = await watchOf(ref);
      if (!kindWatch) return fallback.get(ref);
      return kindWatch.objects.get(objectKey(ref.namespace, ref.name));
    },
    async nextChange(refs, timing, signal) {
      const wanted = new Map<KindWatch, Set<string>>();
      let polled = false;
      for (const ref of refs) {
        const kindWatch = await watchOf(ref);
        if (!kindWatch) {
          polled = true;
          continue;
        }
        const keys = wanted.get(kindWatch) ?? new Set<string>();
        keys.add(objectKey(ref.namespace, ref.name));
        wanted.set(kindWatch, keys);
      }
      if (signal?.aborted) return;
      const ms = polled ? timing.pollMs : timing.maxMs;
      await new Promise<void>((resolve) => {
        const listeners = new Map<KindWatch, (key: string | undefined) => void>();
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          for (const [kindWatch, listener] of listeners) {
            kindWatch.listeners.delete(listener);
            kindWatch.lastUsedAt = Date.now();
          }
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal?.addEventListener('abort', done);
        for (const [kindWatch, keys] of wanted) {
          const listener = (key: string | undefined) => {
            if (key === undefined || keys.has(key)) done();
          };
          listeners.set(kindWatch, listener);
          kindWatch.listeners.add(listener);
        }
      });
    },
    close() {
      closed = true;
      clearInterval(sweep);
      for (const kindWatch of watches.values()) kindWatch.stop();
      watches.clear();
    },
  };
}
