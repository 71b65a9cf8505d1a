// A HelmRelease whose release name, namespace or chart changed uninstalls the release its
// status records first, as Flux's releaseTargetChanged decides.
import { describe, expect, it } from '@jest/globals';
import { releaseTargetChanged } from '../../domain/helmrelease-state.js';
import type { Snapshot } from '../../domain/helmrelease-status.js';

const recorded: Snapshot = {
  name: 'web-podinfo',
  namespace: 'web',
  version: 3,
  status: 'deployed',
  chartName: 'podinfo',
  chartVersion: '6.5.0',
  configDigest: 'sha256:c',
  digest: 'sha256:d',
  firstDeployed: '2026-01-01T00:00:00Z',
  lastDeployed: '2026-01-01T00:00:00Z',
};
const same = { releaseName: 'web-podinfo', releaseNamespace: 'web', chartName: 'podinfo' };

describe('releaseTargetChanged', () => {
  it('names the recorded release when the release name, namespace or chart differ', () => {
    expect(releaseTargetChanged('web', [recorded], { ...same, releaseNamespace: 'shop' })).toBe(recorded);
    expect(releaseTargetChanged('web', [recorded], { ...same, releaseName: 'podinfo' })).toBe(recorded);
    expect(releaseTargetChanged('web', [recorded], { ...same, chartName: 'nginx' })).toBe(recorded);
  });

  it('sees no change for the same target, nothing recorded, or no storage namespace', () => {
    expect(releaseTargetChanged('web', [recorded], same)).toBeUndefined();
    expect(releaseTargetChanged('web', [], { ...same, releaseNamespace: 'shop' })).toBeUndefined();
    expect(releaseTargetChanged(undefined, [recorded], { ...same, releaseNamespace: 'shop' })).toBeUndefined();
  });

  it("does not uninstall a release Flux stored in the HelmRelease's namespace: only its storage differs", () => {
    expect(releaseTargetChanged('flux-system', [recorded], same)).toBeUndefined();
  });
});
