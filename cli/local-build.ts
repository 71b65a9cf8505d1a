// Building a local checkout with a Kustomization's spec from the cluster, exactly as its
// reconcile would build the same files from the artifact (kustomize/render.ts). The
// checkout is copied first (the build may write a kustomization.yaml and decrypt in
// place); within a Git work tree the whole tree is copied, so `../base` references work
// as they do in the artifact.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { readKustomizationSpec, type KustomizationSpec } from '../domain/kustomization-spec.js';
import { specSchemaFor } from '../kube/crd-schemas.js';
import { apiVersionOf, type FluxObjectRef } from '../kube/flux-kinds.js';
import type { KubernetesObject } from '../kube/objects.js';
import { clusterBuildInputs, renderKustomization } from '../kustomize/render.js';
import { requireObject } from './command.js';
import type { CliContext } from './context.js';
import { CliError } from './errors.js';
import { quoted } from './kinds.js';

export interface LocalBuild {
  ref: FluxObjectRef;
  /** the Kustomization as it is in the cluster */
  object: KubernetesObject;
  spec: KustomizationSpec;
  objects: KubernetesObject[];
}

/** The top of the Git work tree `dir` is in, or `dir` itself outside one. */
async function checkoutRoot(dir: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('git', ['-C', dir, 'rev-parse', '--show-toplevel']);
    return await realpath(stdout.trim());
  } catch {
    return dir;
  }
}

export async function buildLocal(context: CliContext, name: string, path: string): Promise<LocalBuild> {
  const ref: FluxObjectRef = { kind: 'Kustomization', namespace: context.namespace, name };
  const object = await requireObject(context, ref);
  const reading = readKustomizationSpec(object.spec, specSchemaFor(apiVersionOf('Kustomization'), 'Kustomization')!);
  if (!reading.ok) throw new CliError(`${quoted(ref)} has an invalid spec: ${reading.message}`);
  const isDirectory = await stat(path).then((s) => s.isDirectory(), () => false);
  if (!isDirectory) throw new CliError(`--path ${path}: no such directory`);
  const dir = await realpath(path);
  const root = await checkoutRoot(dir);
  const work = await mkdtemp(join(tmpdir(), 'kimbernetes-build-'));
  try {
    const copy = join(work, 'source');
    await cp(root, copy, { recursive: true, filter: (source) => basename(source) !== '.git' });
    const spec = { ...reading.spec, path: relative(root, dir) || './' };
    const rendering = await renderKustomization({ root: copy, spec, ref, inputs: clusterBuildInputs(await context.objects(), await context.kube()) });
    if (!rendering.ok) throw new CliError(`build of ${quoted(ref)} failed: ${rendering.message}`);
    return { ref, object, spec: reading.spec, objects: rendering.objects };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
