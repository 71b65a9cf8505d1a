// The time each reconcile step took, summed over every object and every run of its loop,
// from the workflow histories: an activity's started-to-closed time, by activity type.
import type { Client } from '@temporalio/client';

export type StepTimes = Record<string, { seconds: number; count: number }>;

const millis = (time: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(time?.seconds ?? 0) * 1000 + (time?.nanos ?? 0) / 1e6;

export async function stepTimes(client: Client): Promise<StepTimes> {
  const times: StepTimes = {};
  const runs: { workflowId: string; runId: string }[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowType = 'kustomizationLoop' OR WorkflowType = 'gitRepositoryLoop'` })) {
    runs.push({ workflowId: execution.workflowId, runId: execution.runId });
  }
  // A few at a time: the server is the one being measured.
  for (let i = 0; i < runs.length; i += 20) {
    await Promise.all(
      runs.slice(i, i + 20).map(async ({ workflowId, runId }) => {
        const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
        const types = new Map<string, string>();
        const startedAt = new Map<string, number>();
        for (const event of history.events ?? []) {
          const id = String(event.eventId);
          if (event.activityTaskScheduledEventAttributes) types.set(id, event.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
          const started = event.activityTaskStartedEventAttributes;
          if (started) startedAt.set(String(started.scheduledEventId), millis(event.eventTime));
          const closed = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes ?? event.activityTaskCanceledEventAttributes;
          if (closed) {
            const scheduled = String(closed.scheduledEventId);
            const start = startedAt.get(scheduled);
            if (start === undefined) continue;
            const type = types.get(scheduled) ?? '?';
            const entry = (times[type] ??= { seconds: 0, count: 0 });
            entry.seconds += (millis(event.eventTime) - start) / 1000;
            entry.count += 1;
          }
        }
      }),
    );
  }
  return times;
}
