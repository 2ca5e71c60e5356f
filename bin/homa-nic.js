#!/usr/bin/env node
// bin/homa-nic.js — the installed `homa-nic` command. In a clone of the repository it runs
// the TypeScript entry point (bin/homa-nic.ts) through tsx, so it always runs the sources as
// they are; in an installed package (no .ts beside it) it runs the JavaScript build in dist/,
// with nothing but Node.

import { existsSync } from 'node:fs';

if (existsSync(new URL('./homa-nic.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./homa-nic.ts');
} else {
  await import('../dist/bin/homa-nic.js');
}
