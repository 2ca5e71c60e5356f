// scripts/gen-vectors.ts — writes the golden wire vectors to test/vectors/ (`<name>.bin` is
// one packet from the IP header on, `<name>.json` its decoded fields). Run: npx tsx scripts/gen-vectors.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeIp, encodeIp, packetToJson } from '../hw/homa/wire/index.ts';
import { goldenVectors } from '../hw/homa/wire/vectors.ts';

const dir = fileURLToPath(new URL('../test/vectors/', import.meta.url));
mkdirSync(dir, { recursive: true });
for (const v of goldenVectors()) {
  const bin = encodeIp(v.ip, v.packet);
  const d = decodeIp(bin);
  if (!d.ok) throw new Error(`${v.name}: generated packet does not decode: ${d.kind} ${d.detail}`);
  writeFileSync(`${dir}${v.name}.bin`, bin);
  writeFileSync(`${dir}${v.name}.json`, packetToJson(d.ip, d.packet));
}
console.log(`wrote ${goldenVectors().length} vectors to ${dir}`);
