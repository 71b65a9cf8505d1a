// Opening the Temporal connection a worker process uses, from Settings.
import { NativeConnection } from '@temporalio/worker';
import { tlsConfig } from '../temporal/tls.js';
import type { TemporalSettings } from './settings.js';

export async function connectWorker(settings: TemporalSettings): Promise<NativeConnection> {
  return NativeConnection.connect({
    address: settings.address,
    tls: await tlsConfig(settings),
    apiKey: settings.apiKey,
  });
}
