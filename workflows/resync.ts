// The periodic resync, started by the `kimbernetes-resync` Schedule.
import { proxyActivities } from '@temporalio/workflow';
import type { createResyncActivities, ResyncReport } from '../activities/resync.js';

const { resyncObjects } = proxyActivities<ReturnType<typeof createResyncActivities>>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

export async function resyncWorkflow(): Promise<ResyncReport> {
  return resyncObjects();
}
