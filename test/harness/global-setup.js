// Jest loads global set-up files with Node's own loader, outside its TypeScript
// transform; tsx loads the TypeScript harness for it.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { startEnvironment } = await tsImport('./start-environment.ts', import.meta.url);
  await startEnvironment();
}
