// Counts this process's requests to one API server, whichever client sends them (the
// throttled apply client, status patches, events, watches), from Node's own HTTP client
// channel. The worker reports the total when it stops; the bench reads it.
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

export interface RequestCount {
  total(): number;
}

/** Counts requests whose Host header is `host` (host:port of the API server's URL). */
export function countRequestsTo(serverUrl: string): RequestCount {
  const host = new URL(serverUrl).host;
  let total = 0;
  const onRequest = (message: unknown) => {
    const request = (message as { request?: ClientRequest }).request;
    if (request?.getHeader('host') === host) total += 1;
  };
  subscribe('http.client.request.start', onRequest);
  return { total: () => total };
}
