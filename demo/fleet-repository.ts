// The demo's Git repository: examples/ pushed into a bare repository on this machine,
// with a working clone the user commits to. The sync manifests name the repository by
// a placeholder URL, replaced by the real one, as a user does when adopting the example.
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectFile } from '../common/project-files.js';

const run = promisify(execFile);
export const examplesDir = projectFile('examples') + '/';
export const placeholderUrl = 'https://git.example.com/fleet.git';

export interface FleetRepository {
  /** what the GitRepository fetches */
  url: string;
  /** the clone to commit to (and push from) */
  workTree: string;
}

/** A fresh repository at `dir` holding examples/, its sync manifests pointing at it. */
export async function publishExamples(dir: string, branch = 'main'): Promise<FleetRepository> {
  const bare = join(dir, 'fleet.git');
  const workTree = join(dir, 'fleet');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const git = (cwd: string, ...args: string[]) => run('git', args, { cwd });
  await git(dir, 'init', '--quiet', '--bare', '--initial-branch', branch, bare);
  await git(dir, 'clone', '--quiet', bare, workTree);
  await git(workTree, 'checkout', '--quiet', '-B', branch);
  await git(workTree, 'config', 'user.name', 'Kimbernetes demo');
  await git(workTree, 'config', 'user.email', 'demo@kimbernetes.local');
  await cp(examplesDir, workTree, { recursive: true });
  const url = `file://${bare}`;
  for (const env of ['dev', 'prod']) {
    const sync = join(workTree, 'cluster', env, 'flux-system', 'gotk-sync.yaml');
    await writeFile(sync, (await readFile(sync, 'utf8')).replaceAll(placeholderUrl, url));
  }
  await git(workTree, 'add', '--all');
  await git(workTree, 'commit', '--quiet', '-m', 'The example fleet');
  await git(workTree, 'push', '--quiet', 'origin', branch);
  return { url, workTree };
}
