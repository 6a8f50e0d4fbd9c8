#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: nothing to build after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv);
if (code !== 0) process.exitCode = code;
