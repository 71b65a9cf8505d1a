// `install`: the Flux-compatible CRDs of schemas/, applied server-side and waited for
// until the API server serves them.
import { bundledCrds, installCrds } from '../../local/crds.js';
import type { Command } from '../command.js';
import { CliError, ExitCode } from '../errors.js';

export const installCommand: Command = {
  words: [['install']],
  summary: 'install the Flux CustomResourceDefinitions (GitRepository, Kustomization, HelmRelease, ...)',
  examples: ['kimbernetes install --kubeconfig ~/.kube/config'],
  async run(context) {
    context.terminal.action('installing CustomResourceDefinitions');
    try {
      await installCrds(context.kubeconfigPath, { context: context.kubeContext });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new CliError(`install failed: ${stderr || (error as Error).message}`);
    }
    context.terminal.success(`installed ${bundledCrds().length} CustomResourceDefinitions`);
    return ExitCode.Ok;
  },
};
