// See global-setup.js for why this file is JavaScript.
import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const { stopEnvironment } = await tsImport('./stop-environment.ts', import.meta.url);
  await stopEnvironment();
}
