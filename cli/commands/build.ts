// `build kustomization NAME --path DIR`: the local checkout built with the cluster's
// Kustomization spec, as the controller would build it; Secret values masked.
import type { Command } from '../command.js';
import { ExitCode } from '../errors.js';
import { kustomizationWords } from '../kinds.js';
import { buildLocal } from '../local-build.js';
import { maskedSecret } from '../secrets.js';
import { yamlDocuments } from '../terminal.js';

export const pathOption = { type: 'string', value: 'DIR', description: 'the local folder to build in place of spec.path' } as const;

export const buildCommand: Command = {
  words: [['build'], ...kustomizationWords.singular],
  args: [{ name: 'NAME' }],
  summary: 'build a local folder with a Kustomization’s spec and print the YAML',
  options: { path: pathOption },
  examples: ['kimbernetes build kustomization apps --path ./overlays/production/applications'],
  async run(context, invocation) {
    const path = invocation.required('path');
    const { objects } = await buildLocal(context, invocation.arg(0), path);
    context.terminal.out(yamlDocuments(objects.map(maskedSecret)));
    return ExitCode.Ok;
  },
};
