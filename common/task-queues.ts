// One Temporal task queue per Flux controller, each served by its own worker pool.
export const TaskQueue = {
  Source: 'source-controller',
  Kustomize: 'kustomize-controller',
  Helm: 'helm-controller',
  Notification: 'notification-controller',
  ImageReflector: 'image-reflector-controller',
  ImageAutomation: 'image-automation-controller',
} as const;
export type TaskQueue = (typeof TaskQueue)[keyof typeof TaskQueue];

export const allTaskQueues: readonly TaskQueue[] = Object.values(TaskQueue);

export function isTaskQueue(name: string): name is TaskQueue {
  return (allTaskQueues as readonly string[]).includes(name);
}
