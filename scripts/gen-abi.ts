// scripts/gen-abi.ts — writes the driver's C header from hw/homa/abi.ts. Run: npx tsx scripts/gen-abi.ts
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { C_HEADER_PATH, generateCHeader } from '../hw/homa/abi.ts';

const path = fileURLToPath(new URL(`../${C_HEADER_PATH}`, import.meta.url));
writeFileSync(path, generateCHeader());
console.log(`wrote ${path}`);
