// A repository bootstrapped by Flux applies Flux's own CRDs over the ones `kimbernetes
// install` applied, and a later `install` applies ours again: each replaces the other
// whole, against the real API server, rather than merging two schemas field by field.
import { afterAll, describe, expect, it } from '@jest/globals';
import { stagedApply } from '../../apply/staged-apply.js';
import { fieldManager, installFieldManager } from '../../apply/target.js';
import { createKubeClient, loadKubeConfig } from '../../kube/client.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { installCrds } from '../../local/crds.js';
import { healthOf, HealthStatus } from '../../domain/health.js';
import { eventually } from '../harness/eventually.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { uniqueSuffix } from '../harness/test-workers.js';

describe('CRDs applied by both the install and a Flux repository', () => {
  const kubeconfig = sharedEnvironment().kubeconfigPath;
  const kube = createKubeClient(loadKubeConfig(kubeconfig));
  const crdRef = (name: string) => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
  type Crd = KubernetesObject & { spec: { versions: { name: string; served: boolean; storage: boolean; schema?: unknown }[] } };
  const versionsOf = async (name: string) => ((await kube.get(crdRef(name))) as Crd).spec.versions.map((version) => version.name).sort();
  const schema = { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } };
  const group = `takeover-${uniqueSuffix()}.example.com`;
  const crd = (versions: string[]): KubernetesObject => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
      versions: versions.map((name, index) => ({ name, served: true, storage: index === 0, schema })),
    },
  });
  const established = (name: string) => eventually(() => kube.get(crdRef(name)), (live) => healthOf(live).status === HealthStatus.Current, { what: `${name} established` });

  afterAll(async () => {
    await kube.delete(crdRef(`widgets.${group}`));
  });

  it('lets the Kustomization\'s apply replace the install\'s CRD: versions only ours had are gone, not merged in', async () => {
    // Versions are a list keyed by name, merged across field managers: without a takeover the
    // install's v1alpha1 would stay beside what the repository's CRD defines.
    await kube.apply(crd(['v1', 'v1alpha1']), { fieldManager: installFieldManager });
    // Once established, so that the takeover is not raced by the API server's own status write.
    await established(`widgets.${group}`);
    await stagedApply(kube, [crd(['v1', 'v1beta1'])], { fieldManager, force: false });
    expect(await versionsOf(`widgets.${group}`)).toEqual(['v1', 'v1beta1']);
  });

  it('lets a later install replace what a Flux repository applied over a bundled CRD', async () => {
    const name = 'buckets.source.toolkit.fluxcd.io';
    const before = await versionsOf(name);
    // Flux's own CRD, as far as this test needs: one more (served, not stored) version than ours.
    const live = (await kube.get(crdRef(name))) as Crd;
    const versions = [...live.spec.versions, { name: 'v1fluxonly', served: true, storage: false, schema }];
    const flux = { apiVersion: live.apiVersion, kind: live.kind, metadata: { name }, spec: { ...live.spec, versions } };
    await stagedApply(kube, [flux as KubernetesObject], { fieldManager, force: false });
    expect(await versionsOf(name)).toContain('v1fluxonly');
    await installCrds(kubeconfig);
    expect(await versionsOf(name)).toEqual(before);
  });
});
