// `npm run demo`: the whole job in one command. Starts the embedded default (Temporal dev
// server, local cluster, every worker pool), pushes examples/ into a local Git repository,
// bootstraps the cluster from it with the CLI, shows progress until every Kustomization
// and source is Ready, prints `kimbernetes get all` and where to look, and keeps running
// so that commits to the repository sync. Ctrl-C stops and removes everything it started.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { embeddedFlags, embeddedOptions, exitWhenDone, runEmbedded, type Embedded } from '../workers/embedded.js';
import { loadKubeConfig } from '../kube/client.js';
import { fluxKinds } from '../kube/flux-kinds.js';
import { main as cli } from '../cli/main.js';
import { publishExamples } from './fleet-repository.js';
import { pendingObjects, type FluxObjectState } from './progress.js';

const { values } = parseArgs({ args: process.argv.slice(2), options: { ...embeddedFlags, timeout: { type: 'string', default: '600' } } });
const options = embeddedOptions(values, 'demo');
const io = { stdout: process.stdout, stderr: process.stderr, env: process.env };

async function demo(embedded: Embedded): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const connection = ['--kubeconfig', embedded.kubeconfigPath, '--temporal-address', embedded.temporal.address, '--temporal-namespace', embedded.temporal.namespace];
  const fleet = await publishExamples(join(options.stateDir, 'git'));
  say(`\nexamples/ pushed to ${fleet.url}`);
  const bootstrapped = await cli(['bootstrap', 'git', '--url', fleet.url, '--branch', 'main', '--path', './cluster/dev', ...connection], io);
  if (bootstrapped !== 0) throw new Error('bootstrap failed (see above)');

  await waitUntilAllReady(embedded.kubeconfigPath, Number(values.timeout) * 1000, say);
  say('');
  await cli(['get', 'all', '-A', ...connection], io);
  say(
    [
      '',
      ...embedded.summary,
      `fleet repository: ${fleet.workTree}`,
      '  commit and `git push` there, then watch it sync:',
      `  npm run kimbernetes -- get kustomizations -A --kubeconfig ${embedded.kubeconfigPath} --temporal-address ${embedded.temporal.address}`,
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );
}

/** Lists every GitRepository and Kustomization until all are Ready, saying what is still pending. */
async function waitUntilAllReady(kubeconfigPath: string, timeoutMs: number, say: (line: string) => void): Promise<void> {
  const api = loadKubeConfig(kubeconfigPath).makeApiClient(CustomObjectsApi);
  const list = async (kind: 'GitRepository' | 'Kustomization') => {
    const { group, version, plural } = fluxKinds[kind];
    const items = ((await api.listClusterCustomObject({ group, version, plural })) as { items: FluxObjectState[] }).items;
    return items.map((item) => ({ ...item, kind }));
  };
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const objects = [...(await list('GitRepository')), ...(await list('Kustomization'))];
    const pending = pendingObjects(objects);
    const line = pending.length === 0 ? `all ${objects.length} objects Ready` : `${objects.length - pending.length}/${objects.length} Ready; waiting for ${pending.join('; ')}`;
    if (line !== last) say(line);
    last = line;
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`not every object became Ready within ${timeoutMs / 1000}s: ${pending.join('; ')}`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

exitWhenDone('demo', runEmbedded(options, demo));
