// At most `limit` callers at once: for requests to one API server, CPU-bound builds.
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
