// `check`: what `flux check` answers, for this engine: the cluster and its version,
// Temporal reachable, a worker polling each controller's task queue, the CRDs installed
// in the versions this release serves. Non-zero when anything fails.
import { isTaskQueue, TaskQueue } from '../../common/task-queues.js';
import { bundledCrds } from '../../local/crds.js';
import type { Invocation } from '../args.js';
import { outputOption, type Command } from '../command.js';
import type { CliContext } from '../context.js';
import { ExitCode, UsageError } from '../errors.js';
import { pollersOf } from '../temporal.js';
import { servesWorkflows } from '../../common/loop-kinds.js';

export interface CheckResult {
  section: string;
  ok: boolean;
  message: string;
}

/** flux check's controllers, those this release reconciles with: the others poll no queue yet. */
const defaultComponents = [TaskQueue.Source, TaskQueue.Kustomize, TaskQueue.Helm, TaskQueue.Notification].filter(servesWorkflows);

function components(invocation: Invocation): string[] {
  const names = [...(invocation.list('components') ?? defaultComponents), ...(invocation.list('components-extra') ?? [])];
  const unknown = names.filter((name) => !isTaskQueue(name));
  if (unknown.length > 0) throw new UsageError(`unknown component ${unknown.join(', ')}; components are ${Object.values(TaskQueue).join(', ')}`, ['check']);
  return [...new Set(names)];
}

async function clusterChecks(context: CliContext): Promise<CheckResult[]> {
  const section = 'prerequisites';
  let version: string;
  try {
    version = await context.cluster().serverVersion();
  } catch (error) {
    return [{ section, ok: false, message: `Kubernetes API unreachable: ${(error as Error).message}` }];
  }
  const results: CheckResult[] = [{ section, ok: true, message: `Kubernetes ${version}` }];
  for (const expected of bundledCrds()) {
    const served = await context.cluster().crd(expected.name);
    const subject = `${expected.name}/${expected.storageVersion}`;
    if (!served) results.push({ section: 'crds', ok: false, message: `${subject} not installed: run 'kimbernetes install'` });
    else if (served.storageVersion !== expected.storageVersion) results.push({ section: 'crds', ok: false, message: `${subject}: the cluster stores ${served.storageVersion}: run 'kimbernetes install'` });
    else if (expected.servedVersions.some((version) => !served.servedVersions.includes(version))) {
      results.push({ section: 'crds', ok: false, message: `${subject}: the cluster serves ${served.servedVersions.join(', ')}, not all of ${expected.servedVersions.join(', ')}: run 'kimbernetes install'` });
    }
    else if (!served.established) results.push({ section: 'crds', ok: false, message: `${subject} not established` });
    else results.push({ section: 'crds', ok: true, message: subject });
  }
  return results;
}

async function temporalChecks(context: CliContext, names: readonly string[]): Promise<CheckResult[]> {
  const { address, namespace } = context.temporalSettings;
  let session;
  try {
    session = await context.temporal();
  } catch (error) {
    return [{ section: 'temporal', ok: false, message: (error as Error).message }];
  }
  const info = await session.client.workflowService.getSystemInfo({});
  const results: CheckResult[] = [{ section: 'temporal', ok: true, message: `Temporal ${address}, namespace ${namespace}${info.serverVersion ? `: server ${info.serverVersion}` : ''}` }];
  for (const name of names) {
    const taskQueue = `${context.taskQueuePrefix}${name}`;
    const pollers = await pollersOf(session.client, taskQueue);
    const workers = new Set([...pollers.workflow, ...pollers.activity]).size;
    results.push(
      workers > 0
        ? { section: 'controllers', ok: true, message: `${name}: ${workers} worker${workers === 1 ? '' : 's'} polling task queue '${taskQueue}'` }
        : { section: 'controllers', ok: false, message: `${name}: no worker polls task queue '${taskQueue}': start one with 'npm run worker -- --pool ${name}'` },
    );
  }
  return results;
}

export const checkCommand: Command = {
  words: [['check']],
  summary: 'check the cluster, Temporal, the workers of each controller and the CRDs',
  options: {
    components: { type: 'string', value: 'LIST', description: 'the controllers whose workers must run', default: defaultComponents.join(',') },
    'components-extra': { type: 'string', value: 'LIST', description: 'more controllers: image-reflector-controller, image-automation-controller' },
    output: outputOption(['text', 'json']),
  },
  examples: ['kimbernetes check', 'kimbernetes check --components-extra image-reflector-controller,image-automation-controller'],
  async run(context, invocation) {
    const format = invocation.choice('output', ['text', 'json'] as const);
    const names = components(invocation);
    const [cluster, temporal] = await Promise.all([clusterChecks(context), temporalChecks(context, names)]);
    // In flux check's order.
    const results = ['prerequisites', 'temporal', 'controllers', 'crds'].flatMap((section) => [...cluster, ...temporal].filter((r) => r.section === section));
    const ok = results.every((result) => result.ok);
    if (format === 'json') {
      context.terminal.data({ ok, checks: results }, 'json');
    } else {
      let section = '';
      for (const result of results) {
        if (result.section !== section) context.terminal.action(`checking ${(section = result.section)}`);
        if (result.ok) context.terminal.success(result.message);
        else context.terminal.failure(result.message);
      }
      if (ok) context.terminal.success('all checks passed');
      else context.terminal.failure('check failed');
    }
    return ok ? ExitCode.Ok : ExitCode.Failure;
  },
};
