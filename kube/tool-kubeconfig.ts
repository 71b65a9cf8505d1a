// The worker's connection to its cluster as a kubeconfig file's text, for the external
// tools that run against it (helm): the same server, CA and credentials the worker's own
// client uses. In a Pod, the ServiceAccount's token file is named, not copied, so a
// rotated token is read afresh.
import type { KubeConfig } from '@kubernetes/client-node';

interface ExportedUser {
  name: string;
  user?: { 'auth-provider'?: { name?: string; config?: { tokenFile?: string } }; [field: string]: unknown };
}

export function kubeconfigText(config: KubeConfig): string {
  const exported = JSON.parse(config.exportConfig()) as { users?: ExportedUser[]; [field: string]: unknown };
  for (const entry of exported.users ?? []) {
    const provider = entry.user?.['auth-provider'];
    // The client library's in-cluster user: a kubeconfig says the same with tokenFile.
    if (provider?.name === 'tokenFile' && provider.config?.tokenFile) entry.user = { tokenFile: provider.config.tokenFile };
  }
  return JSON.stringify(exported);
}
