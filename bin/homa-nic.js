#!/usr/bin/env node
// bin/homa-nic.js — the installed `homa-nic` command: loads the TypeScript entry point
// (bin/homa-nic.ts) through tsx's loader, so `npx homa-nic sim ...` works without a build.

import { register } from 'tsx/esm/api';

register();
await import('./homa-nic.ts');
