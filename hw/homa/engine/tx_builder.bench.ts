// hw/homa/engine/tx_builder.bench.ts — what the DATA packet builder alone sustains, measured
// in simulation (js engine): packet requests offered back to back, payload reads answered
// from the next cycle on, one beat per cycle (a zero-latency host memory), the MAC always
// ready. The rate is frames out over cycles, as Ethernet line rate (frame + 24 bytes of
// preamble, FCS and gap) at the configuration's clock.
//
//   npx tsx hw/homa/engine/tx_builder.bench.ts [config]      (default u250)
//
// Prints `tx_builder: config=<c> gbps_min=<x> gbps_mtu=<x>`. This is the builder's bound, not
// the engine's transmit rate: the engine's own figure needs the transmit scheduler in front.

import { simulate, Testbench, type Beat } from '../../hdl/sim/index.ts';
import { engineConfig } from './config.ts';
import { txBuilder } from './tx_builder.ts';

const c = engineConfig(process.argv[2] ?? 'u250');
const B = c.beatBytes;

async function rate(payload: number, n: number): Promise<number> {
  const sim = await simulate(txBuilder(c));
  sim.reset(2);
  const tb = new Testbench(sim);
  const reqs = tb.driver('req');
  const data = tb.driver('rd_data');
  let frames = 0, first = -1, last = 0;
  tb.monitor('mac', { onBeat: (b, cycle) => { if (first < 0) first = cycle; if (Number((b as Record<string, number>)['last'])) { frames++; last = cycle; } } });
  tb.monitor('rd_req', {
    onBeat: (b) => {
      const len = Number((b as Record<string, number>)['len']), tag = Number((b as Record<string, number>)['tag']);
      const beats: Beat[] = [];
      for (let i = 0; i < len; i += B) beats.push({ data: 0, last: i + B >= len ? 1 : 0, tag });
      for (const x of beats) data.push(x);
    },
  });
  for (let i = 0; i < n; i++) {
    reqs.push({ qp: 0, ipv6: 0, daddr: 0xffff_0a000002n, dmac: 1n, sport: 40000, dport: 99, sender_id: BigInt(2 + 2 * i), message_length: payload,
      offset: 0, length: payload, incoming: payload, cutoff_version: 1, retransmit: 0, ack_client_id: 0n, ack_server_port: 0, priority: 6, addr: BigInt(i) << 12n });
  }
  await tb.until(() => frames === n, { timeout: n * 4 * Math.ceil(1600 / B) });
  const cycles = last - first + 1;
  const frameBytes = 90 + payload;
  const gbps = (n * (frameBytes + 24) * 8 * c.clockMhz * 1e6) / cycles / 1e9;
  process.stderr.write(`${frameBytes}-byte frames: ${n} in ${cycles} cycles, ${(cycles / n).toFixed(2)} cycles per frame, ${gbps.toFixed(1)} Gb/s at ${c.clockMhz} MHz\n`);
  sim.dispose();
  return gbps;
}

const min = await rate(1, 2000);
const mtu = await rate(1424, 300);
console.log(`tx_builder: config=${c.name} gbps_min=${min.toFixed(1)} gbps_mtu=${mtu.toFixed(1)}`);
