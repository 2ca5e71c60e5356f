// scripts/demo-hdl.ts — the hardware DSL showcase: emit every example design to Verilog, then
// simulate the buffered UART in process and decode its serial line back into text.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toVerilog } from '../hw/hdl/index.ts';
import { simulate } from '../hw/hdl/sim/index.ts';
import { bufferedUart, exampleDesigns } from '../hw/examples/index.ts';

const out = 'build/demo';
mkdirSync(out, { recursive: true });
for (const def of Object.values(exampleDesigns())) {
  const v = toVerilog(def);
  writeFileSync(join(out, `${v.top}.v`), v.text);
  console.log(`verilog: ${join(out, `${v.top}.v`)} (${v.modules.join(', ')})`);
}

const divisor = 4;
const message = 'Hello from homa-nic!';
const sim = await simulate(bufferedUart(divisor, 16));
sim.reset();
sim.poke('countEnable', 1);
const data = sim.port('data.payload'), valid = sim.port('data.valid'), ready = sim.port('data.ready'), txd = sim.port('txd');
let next = 0;
const line: number[] = [];
sim.onCycle(() => {
  // Offer the next byte until the FIFO takes it; sample the serial line every cycle.
  if (valid.get() === 1 && ready.get() === 1) next++;
  valid.set(next < message.length ? 1 : 0);
  data.set(next < message.length ? message.charCodeAt(next) : 0);
  line.push(Number(txd.get()));
});
const cycles = (message.length + 2) * 10 * divisor + 50;
sim.step(cycles);
console.log(`simulated ${cycles} cycles on the '${sim.engine}' engine; accepted=${sim.peek('accepted')} sent=${sim.peek('sent')}`);

// Decode 8N1 frames: find a start bit, sample the middle of each bit.
let text = '';
for (let i = 0; i + 10 * divisor < line.length;) {
  if (line[i] === 0) {
    let byte = 0;
    for (let b = 0; b < 8; b++) byte |= line[i + Math.floor((b + 1.5) * divisor)]! << b;
    text += String.fromCharCode(byte);
    i += 10 * divisor - 1;
  } else i++;
}
console.log(`uart line decoded: "${text}"`);
if (text !== message) { console.error('demo: the decoded text differs from what was sent'); process.exit(1); }
sim.dispose();
