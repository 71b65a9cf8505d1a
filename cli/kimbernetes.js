#!/usr/bin/env node
// The `kimbernetes` executable: runs the TypeScript CLI through tsx, without a build step.
import { tsImport } from 'tsx/esm/api';

const cli = await tsImport('./main.ts', import.meta.url);
await cli.run();
