// Waiting for the cluster to reach a state, with the last observation in the failure.
export async function eventually<T>(
  observe: () => Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs = 60_000, intervalMs = 250, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await observe();
    if (accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}; last seen: ${JSON.stringify(last, null, 1)?.slice(0, 2000)}`);
}
