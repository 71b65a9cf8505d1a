// A Kustomization's spec completed with Flux's defaults (kustomize-controller's GetTimeout
// and GetRetryInterval), as the reconcile uses them.
import { describe, expect, it } from '@jest/globals';
import { readKustomizationSpec } from '../../domain/kustomization-spec.js';
import { specSchemaFor } from '../../kube/crd-schemas.js';

const schema = specSchemaFor('kustomize.toolkit.fluxcd.io/v1', 'Kustomization')!;
const read = (spec: Record<string, unknown>) => {
  const reading = readKustomizationSpec({ sourceRef: { kind: 'GitRepository', name: 'fleet' }, prune: true, ...spec }, schema);
  if (!reading.ok) throw new Error(reading.message);
  return reading.spec;
};

describe('Kustomization defaults', () => {
  it('times out 30s before the interval, as Flux does', () => {
    expect(read({ interval: '10m' })).toMatchObject({ timeoutMs: 570_000, retryIntervalMs: 600_000, path: './' });
  });

  it('never times out in less than 30s, whatever the interval or spec.timeout', () => {
    expect(read({ interval: '45s' }).timeoutMs).toBe(30_000);
    expect(read({ interval: '1m', timeout: '10s' }).timeoutMs).toBe(30_000);
    expect(read({ interval: '1m', timeout: '5m' }).timeoutMs).toBe(300_000);
  });
});

describe('Kustomization remote clusters', () => {
  it('refuses a kubeConfig.configMapRef rather than apply to the local cluster', () => {
    const reading = readKustomizationSpec({ interval: '10m', sourceRef: { kind: 'GitRepository', name: 'fleet' }, prune: true, kubeConfig: { configMapRef: { name: 'eks' } } }, schema);
    expect(reading).toMatchObject({ ok: false, field: 'kubeConfig.configMapRef' });
    expect(!reading.ok && reading.message).toBe(
      "spec.kubeConfig.configMapRef: secret-less access to a cloud provider's cluster (ConfigMap 'eks') is not supported; give the cluster's kubeconfig in a Secret with spec.kubeConfig.secretRef",
    );
    expect(read({ interval: '10m', kubeConfig: { secretRef: { name: 'remote' } } }).kubeConfig).toEqual({ secretRef: { name: 'remote' } });
  });
});
