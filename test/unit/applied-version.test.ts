// A watch delivers a write a moment after it: until it has, the health wait must not
// judge the object from before the apply.
import { describe, expect, it } from '@jest/globals';
import { caughtUp } from '../../kube/object-watches.js';
import type { KubernetesObject } from '../../kube/objects.js';

const deployment = (uid: string, generation: number): KubernetesObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'podinfo', namespace: 'apps', uid, generation },
});

describe('whether the watch has seen what the apply left', () => {
  it('waits for the generation the apply wrote', () => {
    expect(caughtUp(deployment('a', 2), { uid: 'a', generation: 3 })).toBe(false);
    expect(caughtUp(deployment('a', 3), { uid: 'a', generation: 3 })).toBe(true);
    expect(caughtUp(deployment('a', 4), { uid: 'a', generation: 3 })).toBe(true);
  });

  it('does not take the object an apply replaced for the new one', () => {
    // Recreated (an immutable field changed): the new object starts again at generation 1.
    expect(caughtUp(deployment('old', 5), { uid: 'new', generation: 1 })).toBe(false);
    expect(caughtUp(deployment('new', 1), { uid: 'new', generation: 1 })).toBe(true);
  });

  it('waits for an object the apply created and the watch has not delivered', () => {
    expect(caughtUp(undefined, { uid: 'a', generation: 1 })).toBe(false);
  });

  it('takes what it sees for objects the apply did not write (spec.healthChecks of other objects)', () => {
    expect(caughtUp(undefined, undefined)).toBe(true);
    expect(caughtUp(deployment('a', 1), undefined)).toBe(true);
  });

  it('takes kinds without a generation as soon as the uid matches', () => {
    const configMap: KubernetesObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', uid: 'u' } };
    expect(caughtUp(configMap, { uid: 'u' })).toBe(true);
  });
});
