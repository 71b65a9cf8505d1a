// Opening the Temporal connection a worker process uses, from Settings.
import { readFile } from 'node:fs/promises';
import { NativeConnection } from '@temporalio/worker';
import type { TemporalSettings } from './settings.js';

export async function connectWorker(settings: TemporalSettings): Promise<NativeConnection> {
  return NativeConnection.connect({
    address: settings.address,
    tls: await tlsConfig(settings),
    apiKey: settings.apiKey,
  });
}

export async function tlsConfig(settings: TemporalSettings) {
  const tls = settings.tls;
  if (!tls) return undefined;
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: tls.caPath ? await readFile(tls.caPath) : undefined,
    clientCertPair:
      tls.certPath && tls.keyPath ? { crt: await readFile(tls.certPath), key: await readFile(tls.keyPath) } : undefined,
  };
}
