// The program helm runs as its --post-renderer for a HelmRelease: Helm's rendered manifests
// (hooks excepted) on stdin, the post-rendered ones on stdout, what went wrong on stderr
// with a non-zero exit, which helm turns into "error while running post render on files".
// It runs the steps domain/helmrelease-post-render.ts plans, each a real `kustomize build`
// in a private folder (the manifests may hold Secrets) removed when it is done.
//
//   node dist/helm/post-renderer.js <plan.json>
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { projectFile } from '../common/project-files.js';
import { manifestsFile, metadataFiles, postRendererFiles, type KustomizeFiles, type PostRenderPlan } from '../domain/helmrelease-post-render.js';
import { requireBinary } from '../tools/paths.js';

const run = promisify(execFile);

/**
 * The helm flags that post-render with the plan at `planPath`. Each --post-renderer-args
 * is one argument, handed on in the order given (helm v3 postRendererArgsSlice).
 */
export function postRendererFlags(planPath: string): string[] {
  return ['--post-renderer', process.execPath, '--post-renderer-args', scriptPath(), '--post-renderer-args', planPath];
}

/** Writes `plan` into `dir` (the reconcile's private workspace) for the program to read; its path. */
export async function writePostRenderPlan(dir: string, plan: PostRenderPlan): Promise<string> {
  const path = join(dir, 'post-render-plan.json');
  await writeFile(path, JSON.stringify(plan), { mode: 0o600 });
  return path;
}

/** This module compiled: under jest it is the TypeScript source, which node cannot run. */
function scriptPath(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? projectFile('dist', 'helm', 'post-renderer.js') : here;
}

/** A step that failed, with kustomize's own message, naming the spec field it came from. */
class PostRenderError extends Error {
  override readonly name = 'PostRenderError';
}

/** Runs every step of `plan` over `manifests`, with the kustomize binary at `kustomize`. */
async function postRender(manifests: string, plan: PostRenderPlan, kustomize: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kimbernetes-post-render-'));
  try {
    let result = manifests;
    for (const { index, renderer } of plan.kustomize) {
      result = await build(kustomize, join(dir, `post-renderer-${index}`), result, postRendererFiles(renderer), `spec.postRenderers[${index}].kustomize`);
    }
    return await build(kustomize, join(dir, 'metadata'), result, metadataFiles(plan), plan.commonMetadata ? 'setting spec.commonMetadata and the origin labels' : 'setting the origin labels');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One kustomize build of `manifests` with `files`, in `dir`, a new folder inside the private one. */
async function build(kustomize: string, dir: string, manifests: string, files: KustomizeFiles, step: string): Promise<string> {
  await mkdir(dir);
  await writeFile(join(dir, manifestsFile), manifests, { mode: 0o600 });
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content, { mode: 0o600 });
  try {
    // Flux's build: files may be loaded from anywhere, only builtin plugins.
    const { stdout } = await run(kustomize, ['build', dir, '--load-restrictor', 'LoadRestrictionsNone'], { maxBuffer: 256 << 20, encoding: 'utf8' });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    // kustomize's message, as Flux's in-process build reports it: no CLI prefix, no temporary paths.
    throw new PostRenderError(`${step}: ${stderr.replace(/^Error: /, '').replaceAll(`${dir}/`, '').replaceAll(dir, '.')}`);
  }
}

async function main(args: string[]): Promise<void> {
  if (args.length !== 1) throw new Error(`usage: post-renderer <plan.json>, got ${args.length} arguments`);
  const plan = JSON.parse(await readFile(args[0]!, 'utf8')) as PostRenderPlan;
  let manifests = '';
  for await (const chunk of process.stdin) manifests += chunk;
  process.stdout.write(await postRender(manifests, plan, requireBinary('kustomize')));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdin.setEncoding('utf8');
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
