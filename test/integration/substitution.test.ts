// postBuild substitution over what the real kustomize builds, as Flux v2.7 does it by
// default: each object's text as kustomize prints it substituted and read again, an unset
// variable empty, objects marked `substitute: disabled` left alone, nothing substituted
// without variables; strict only with the StrictPostBuildSubstitutions feature gate.
import { describe, expect, it } from '@jest/globals';
import type { KustomizationSpec } from '../../domain/kustomization-spec.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { renderKustomization, type BuildInputs, type Rendering } from '../../kustomize/render.js';
import { fileTree } from '../harness/files.js';

const ref = { kind: 'Kustomization' as const, namespace: 'flux-system', name: 'apps' };
const configMap = (name: string, data: string, metadata = '') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: apps\n${metadata}data:\n${data}`;

async function render(files: Record<string, string>, postBuild: KustomizationSpec['postBuild'], options: { strict?: boolean; configMaps?: Record<string, Record<string, string>> } = {}): Promise<Rendering> {
  const inputs: BuildInputs = { readSecret: async () => undefined, readConfigMap: async (_namespace, name) => options.configMaps?.[name] };
  return renderKustomization({ root: fileTree(files), spec: { path: './apps', postBuild } as KustomizationSpec, ref, inputs, strictSubstitution: options.strict });
}

const objects = (rendering: Rendering): KubernetesObject[] => {
  if (!rendering.ok) throw new Error(rendering.message);
  return rendering.objects;
};
const dataOf = (rendering: Rendering, name: string) => (objects(rendering).find((o) => o.metadata.name === name) as { data?: Record<string, unknown> } | undefined)?.data;

describe('postBuild substitution of built objects', () => {
  it('substitutes the text kustomize prints, without the quotes it drops, so "${var}" of a number is a number', async () => {
    const serviceAccount = configMap('app', '  replicas: ${replicas}\n  version: "${version}"\n  id: ${quote}${id}${quote}\n');
    const built = await render({ 'apps/app.yaml': serviceAccount }, { substitute: { replicas: '3', version: '2', quote: '"', id: '123' } });
    // Flux's documented way to keep a number a string is a variable holding a double quote.
    expect(dataOf(built, 'app')).toEqual({ replicas: 3, version: 2, id: '123' });
  });

  it('gives an unset variable an empty string, and a value made of nothing but one null', async () => {
    const files = { 'apps/settings.yaml': configMap('settings', '  image: nginx-${tag}\n  region: "${region}"\n  tier: ${tier:=web}\n') };
    expect(dataOf(await render(files, { substitute: { cluster: 'dev' } }), 'settings')).toEqual({ image: 'nginx-', region: null, tier: 'web' });
  });

  it('fails on an unset variable only with StrictPostBuildSubstitutions, naming the object and the variable', async () => {
    const files = { 'apps/settings.yaml': configMap('settings', '  region: eu-${region}\n') };
    expect(dataOf(await render(files, { substitute: { cluster: 'dev' } }), 'settings')).toEqual({ region: 'eu-' });
    expect(await render(files, { substitute: { cluster: 'dev' } }, { strict: true })).toEqual({
      ok: false,
      message: `post build failed for 'ConfigMap/apps/settings': envsubst error: variable substitution failed: variable not set (strict mode): "region"`,
    });
  });

  it('leaves objects labelled or annotated substitute: disabled as they were built', async () => {
    const files = {
      'apps/labelled.yaml': configMap('labelled', '  script: echo ${HOME}\n', '  labels:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n'),
      'apps/annotated.yaml': configMap('annotated', '  script: echo ${HOME}\n', '  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n'),
      'apps/other.yaml': configMap('other', '  script: echo ${HOME}\n'),
    };
    const rendering = await render(files, { substitute: { cluster: 'dev' } }, { strict: false });
    expect(dataOf(rendering, 'labelled')).toEqual({ script: 'echo ${HOME}' });
    expect(dataOf(rendering, 'annotated')).toEqual({ script: 'echo ${HOME}' });
    expect(dataOf(rendering, 'other')).toEqual({ script: 'echo' });
  });

  it('substitutes nothing, defaults included, when no variable is defined', async () => {
    const files = { 'apps/settings.yaml': configMap('settings', '  region: ${region:=eu}\n  price: $$5\n') };
    for (const postBuild of [{ substitute: {} }, { substituteFrom: [{ kind: 'ConfigMap' as const, name: 'absent', optional: true }] }]) {
      expect(dataOf(await render(files, postBuild, { strict: true }), 'settings')).toEqual({ region: '${region:=eu}', price: '$$5' });
    }
  });

  it('reads substituteFrom with newlines removed, substitute winning over it', async () => {
    const files = { 'apps/settings.yaml': configMap('settings', '  region: ${region}\n  tier: ${tier}\n') };
    const configMaps = { 'cluster-vars': { region: 'eu-\nwest-1\n', tier: 'web' } };
    expect(dataOf(await render(files, { substituteFrom: [{ kind: 'ConfigMap', name: 'cluster-vars' }], substitute: { tier: 'api' } }, { configMaps }), 'settings')).toEqual({ region: 'eu-west-1', tier: 'api' });
    expect(await render(files, { substituteFrom: [{ kind: 'ConfigMap', name: 'missing' }] })).toEqual({ ok: false, message: `substitute from 'ConfigMap/missing' error: configmaps "missing" not found` });
  });

  it('fails when a value breaks the YAML, or a name is one Flux refuses, naming the object', async () => {
    const files = { 'apps/settings.yaml': configMap('settings', '  key: ${value}\n') };
    const broken = await render(files, { substitute: { value: 'a: b' } });
    expect(broken.ok ? '' : broken.message).toMatch(/^post build failed for 'ConfigMap\/apps\/settings': envsubst error: YAMLToJSON: /);
    expect(await render(files, { substitute: { 'my-value': 'x' } })).toEqual({
      ok: false,
      message: `post build failed for 'ConfigMap/apps/settings': envsubst error: 'my-value' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'`,
    });
  });
});
