// What Flux's access flags refuse or change: a cross-namespace sourceRef, and the
// identity of a Kustomization that names no ServiceAccount.
import { describe, expect, it } from '@jest/globals';
import { crossNamespaceRefusal, defaultAccessFlags } from '../../domain/access-flags.js';
import { targetOf } from '../../apply/target.js';

const ref = { kind: 'Kustomization' as const, namespace: 'team-a', name: 'apps' };

describe('access flags', () => {
  it('refuse a sourceRef in another namespace only with --no-cross-namespace-refs, in Flux\'s words', () => {
    const source = { kind: 'GitRepository', namespace: 'flux-system', name: 'fleet' };
    expect(crossNamespaceRefusal(defaultAccessFlags, 'team-a', source)).toBeUndefined();
    const blocked = { ...defaultAccessFlags, noCrossNamespaceRefs: true };
    expect(crossNamespaceRefusal(blocked, 'team-a', source)).toBe("can't access 'GitRepository/flux-system/fleet', cross-namespace references have been blocked");
    expect(crossNamespaceRefusal(blocked, 'flux-system', source)).toBeUndefined();
  });

  it('apply as --default-service-account when the Kustomization names none', () => {
    expect(targetOf(ref, {}, 'tenant')).toEqual({ namespace: 'team-a', serviceAccountName: 'tenant' });
    expect(targetOf(ref, { serviceAccountName: 'own' }, 'tenant')).toEqual({ namespace: 'team-a', serviceAccountName: 'own' });
    expect(targetOf(ref, {})).toEqual({ namespace: 'team-a' });
  });
});
