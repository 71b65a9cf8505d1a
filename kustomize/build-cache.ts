// Built objects kept per worker, keyed by everything a build reads: the artifact's
// digest, the Kustomization's name and spec, its postBuild variables and its decryption
// keys (as a digest: the key holds no secret). An unchanged reconcile — the interval, a
// forced `reconcile` with nothing new — then skips the checkout and kustomize and goes
// straight to the dry-run that finds drift. Bounded by the objects it holds.
import { createHash } from 'node:crypto';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import type { KubernetesObject } from '../kube/objects.js';

export interface BuildCache {
  get(key: string): KubernetesObject[] | undefined;
  set(key: string, objects: readonly KubernetesObject[]): void;
}

export interface BuildIdentity {
  digest: string;
  ref: FluxObjectRef;
  spec: unknown;
  variables?: Record<string, string>;
  /** age identities and PGP private keys (by entry) */
  decryptionKeys?: { ageKeys: readonly string[]; pgpKeys?: Record<string, string> };
}

export function buildKey({ digest, ref, spec, variables, decryptionKeys }: BuildIdentity): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([digest, ref.namespace, ref.name, spec, variables ?? null, decryptionKeys ?? null]));
  return hash.digest('hex');
}

/** Least recently used builds go first once the cache holds more than `maxObjects` objects. */
export function createBuildCache({ maxObjects = 50_000 }: { maxObjects?: number } = {}): BuildCache {
  const builds = new Map<string, KubernetesObject[]>();
  let held = 0;
  return {
    get(key) {
      const objects = builds.get(key);
      if (!objects) return undefined;
      builds.delete(key); // re-insert: most recently used last
      builds.set(key, objects);
      // The caller's copy: the apply adds to the objects it is given.
      return structuredClone(objects);
    },
    set(key, objects) {
      if (objects.length > maxObjects) return;
      const previous = builds.get(key);
      if (previous) held -= previous.length;
      builds.delete(key);
      builds.set(key, structuredClone(objects) as KubernetesObject[]);
      held += objects.length;
      for (const [oldest, old] of builds) {
        if (held <= maxObjects) break;
        builds.delete(oldest);
        held -= old.length;
      }
    },
  };
}
