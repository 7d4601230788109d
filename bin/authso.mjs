#!/usr/bin/env node
// The `authso` executable: runs the TypeScript sources directly (tsx), so a clone works
// without a build step.
import { register } from 'tsx/esm/api';

register();
const { tuneYoungGeneration } = await import('../src/cli/gc.ts');
// The KDC's young generation (see src/cli/gc.ts).
if (['dc', 'demo'].includes(process.argv[2] ?? '')) tuneYoungGeneration();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
