// tools/wireshark/gen-lua.ts — rewrites the generated field table of homa.lua from the wire
// layouts (lua-fields.ts). Run after changing hw/homa/wire/layouts.ts:
//   npx tsx tools/wireshark/gen-lua.ts

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withGeneratedRegion } from './lua-fields.ts';

const path = fileURLToPath(new URL('./homa.lua', import.meta.url));
const before = readFileSync(path, 'utf8');
const after = withGeneratedRegion(before);
if (after === before) process.stdout.write(`${path}: up to date\n`);
else { writeFileSync(path, after); process.stdout.write(`${path}: field table rewritten\n`); }
