// A client-side rate limit for the API server, like client-go's QPS and burst: hundreds
// of Kustomizations applying at once must queue here, not overwhelm the API server and
// come back as 429s. A token bucket: `burst` requests may go at once, then `qps` a second.
export interface RateLimit {
  qps: number;
  burst: number;
}

/** Flux's kustomize-controller defaults (`--kube-api-qps`, `--kube-api-burst`). */
export const defaultRateLimit: RateLimit = { qps: 50, burst: 300 };

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/** Returns `take()`, which resolves when the caller may send one request; callers are served in order. */
export function createTokenBucket({ qps, burst }: RateLimit, clock: Clock = realClock) {
  if (!(qps > 0) || !(burst >= 1)) throw new Error(`rate limit needs qps > 0 and burst >= 1, got qps ${qps}, burst ${burst}`);
  let tokens = burst;
  let refilledAt = clock.now();
  // Each caller reserves its token up front (tokens may go negative): the wait is the debt.
  return async function take(): Promise<void> {
    const now = clock.now();
    tokens = Math.min(burst, tokens + ((now - refilledAt) / 1000) * qps);
    refilledAt = now;
    tokens -= 1;
    if (tokens >= 0) return;
    await clock.sleep((-tokens / qps) * 1000);
  };
}
