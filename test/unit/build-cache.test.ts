import { describe, expect, it } from '@jest/globals';
import { buildKey, createBuildCache } from '../../kustomize/build-cache.js';
import type { KubernetesObject } from '../../kube/objects.js';

const configMap = (name: string): KubernetesObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
const ref = { kind: 'Kustomization' as const, namespace: 'flux-system', name: 'apps' };
const identity = { digest: 'sha256:aa', ref, spec: { path: './apps' }, variables: { region: 'eu' }, decryptionKeys: { ageKeys: ['AGE-SECRET-KEY-1XYZ'], pgpKeys: { 'identity.asc': '-----BEGIN PGP PRIVATE KEY BLOCK-----\nA' } } };

describe('the build cache', () => {
  it('keys a build by every input a build reads, without holding a key in the clear', () => {
    const key = buildKey(identity);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(buildKey({ ...identity })).toBe(key);
    for (const changed of [
      { ...identity, digest: 'sha256:bb' },
      { ...identity, ref: { ...ref, name: 'other' } },
      { ...identity, spec: { path: './apps', namePrefix: 'x-' } },
      { ...identity, variables: { region: 'us' } },
      { ...identity, decryptionKeys: { ...identity.decryptionKeys, ageKeys: ['AGE-SECRET-KEY-1ABC'] } },
      { ...identity, decryptionKeys: { ...identity.decryptionKeys, pgpKeys: { 'identity.asc': '-----BEGIN PGP PRIVATE KEY BLOCK-----\nB' } } },
      { ...identity, decryptionKeys: { ageKeys: identity.decryptionKeys.ageKeys } },
    ]) {
      expect(buildKey(changed)).not.toBe(key);
    }
  });

  it('gives each caller its own copy, so an apply that adds to its objects changes no later build', () => {
    const cache = createBuildCache();
    const built = [configMap('a')];
    cache.set('k', built);
    built[0]!.metadata.labels = { changed: 'by the builder' };
    const first = cache.get('k')!;
    first[0]!.metadata.annotations = { changed: 'by the apply' };
    expect(cache.get('k')).toEqual([configMap('a')]);
  });

  it('forgets the least recently used builds past the objects it may hold', () => {
    const cache = createBuildCache({ maxObjects: 4 });
    cache.set('one', [configMap('a'), configMap('b')]);
    cache.set('two', [configMap('c'), configMap('d')]);
    expect(cache.get('one')).toHaveLength(2); // now the most recent
    cache.set('three', [configMap('e')]);
    expect(cache.get('two')).toBeUndefined();
    expect(cache.get('one')).toHaveLength(2);
    expect(cache.get('three')).toHaveLength(1);
    cache.set('huge', Array.from({ length: 5 }, (_, i) => configMap(`h${i}`)));
    expect(cache.get('huge')).toBeUndefined();
  });
});
