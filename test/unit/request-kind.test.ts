// The worker's count of API requests, by verb and collection: what the bench and the
// worker's last log line say each kind of request cost.
import { describe, expect, it } from '@jest/globals';
import { requestKind } from '../../kube/request-count.js';

describe('the kind of an API request', () => {
  it('names the collection, without namespaces and names', () => {
    expect(requestKind('GET', '/api/v1/namespaces/apps/configmaps/settings')).toBe('GET /api/v1/configmaps');
    expect(requestKind('GET', '/apis/apps/v1/deployments?limit=500')).toBe('GET /apis/apps/v1/deployments');
    expect(requestKind('DELETE', '/api/v1/namespaces/apps')).toBe('DELETE /api/v1/namespaces');
  });

  it('tells dry-runs and subresources apart', () => {
    expect(requestKind('PATCH', '/apis/apps/v1/namespaces/apps/deployments/web?fieldManager=kustomize-controller&force=true&dryRun=All')).toBe(
      'PATCH /apis/apps/v1/deployments (dry-run)',
    );
    expect(requestKind('PATCH', '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps/status')).toBe(
      'PATCH /apis/kustomize.toolkit.fluxcd.io/v1/kustomizations/status',
    );
  });
});
