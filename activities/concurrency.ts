// Keeping long activities visibly alive, and CPU-heavy steps from thrashing the machine.
import { Context } from '@temporalio/activity';

/** Runs `body` while heartbeating every 5 s, so a crashed worker is noticed within the heartbeat timeout. */
export async function whileHeartbeating<T>(body: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(), 5000);
  try {
    return await body();
  } finally {
    clearInterval(timer);
  }
}

/** At most `limit` callers run `body` at once; the others queue in order. */
export function createLimiter(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async function limited<T>(body: () => Promise<T>): Promise<T> {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await body();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}
