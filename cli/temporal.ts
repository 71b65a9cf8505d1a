// The CLI's side of Temporal: a client connection that fails fast, signals, and who
// polls a task queue. (`get`'s queries go over cli/loop-queries.ts.)
// The client library is loaded when a command first connects: `--help` and commands that
// never reach Temporal start without it.
import type { Client, Connection } from '@temporalio/client';
import { objectWorkflowId } from '../common/loop-addresses.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import { tlsConfig } from '../temporal/tls.js';
import type { TemporalSettings } from '../workers/settings.js';
import { CliError } from './errors.js';

export interface TemporalSession {
  client: Client;
  settings: TemporalSettings;
  close(): Promise<void>;
}

export async function connectTemporal(settings: TemporalSettings, timeoutMs = 5_000): Promise<TemporalSession> {
  const temporal = await import('./temporal-client.js');
  let connection: Connection;
  try {
    connection = await temporal.Connection.connect({ address: settings.address, tls: await tlsConfig(settings), apiKey: settings.apiKey, connectTimeout: timeoutMs });
  } catch (error) {
    throw temporalUnreachable(settings, error);
  }
  return { client: new temporal.Client({ connection, namespace: settings.namespace }), settings, close: () => connection.close() };
}

/** What the CLI says when the Temporal frontend cannot be reached. */
export function temporalUnreachable(settings: TemporalSettings, error: unknown): CliError {
  return new CliError(`Temporal at ${settings.address} is unreachable: ${(error as Error).message} (set --temporal-address or TEMPORAL_ADDRESS)`);
}

/** Signals a running loop; false when the object has no running loop (its worker will find the spec when it starts one). */
export async function signalLoop(client: Client, ref: FluxObjectRef, signal: 'suspend' | 'resume'): Promise<boolean> {
  try {
    await client.workflow.getHandle(objectWorkflowId(ref)).signal(signal);
    return true;
  } catch (error) {
    if ((error as Error).name === 'WorkflowNotFoundError') return false;
    throw error;
  }
}

// temporal.api.enums.v1.TaskQueueType
const TaskQueueType = { Workflow: 1, Activity: 2 } as const;

export interface Pollers {
  workflow: string[];
  activity: string[];
}

/** The identities of the workers polling `taskQueue` for workflow and for activity tasks. */
export async function pollersOf(client: Client, taskQueue: string): Promise<Pollers> {
  const describe = async (taskQueueType: (typeof TaskQueueType)[keyof typeof TaskQueueType]) => {
    const response = await client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: taskQueue }, taskQueueType });
    return (response.pollers ?? []).map((poller) => poller.identity ?? 'unknown');
  };
  return { workflow: await describe(TaskQueueType.Workflow), activity: await describe(TaskQueueType.Activity) };
}
