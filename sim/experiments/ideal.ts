// sim/experiments/ideal.ts — the minimum possible completion time of a message of each size,
// measured, not guessed: the same stack sends the message alone on an idle copy of the same
// network, once between two hosts of one rack and once across racks (a tree's two path
// lengths). That includes serialisation at every hop, switch delays, the stack's own host
// delays and its packetisation, exactly as the loaded runs see them.

import type { Endpoint } from '../net/endpoint.ts';
import { Network, hostCount, type TopologySpec } from '../net/topology.ts';
import type { MessageRole, Stack, StackHost } from './stack.ts';

const ONE_WAY: MessageRole = { kind: 'oneway' };

/** Gap after each measured message so trailing control traffic has drained. */
const SETTLE_PS = 200_000_000;
/** A message alone on an idle network that takes longer than this is a stack bug. */
const GIVE_UP_PS = 1_000_000_000_000;

export class IdealTable {
  /** key = size * 4 + hops -> picoseconds */
  private readonly table = new Map<number, number>();

  constructor(
    private readonly spec: TopologySpec,
    private readonly stack: Stack,
  ) {}

  /** Picoseconds for a message of `size` over a path crossing `hops` switches. */
  get(size: number, hops: number): number {
    const v = this.table.get(size * 4 + hops);
    if (v === undefined) throw new Error(`no ideal time measured for ${size} B over ${hops} switch(es)`);
    return v;
  }

  has(size: number, hops: number): boolean {
    return this.table.has(size * 4 + hops);
  }

  /** Measure every size not yet known, for each path length of the topology. */
  measure(sizes: Iterable<number>, seed: number): void {
    const wanted = [...new Set(sizes)].sort((a, b) => a - b);
    const n = hostCount(this.spec);
    const pairs: [number, number][] = [[0, 1]];
    if (this.spec.kind === 'tree' && this.spec.racks > 1) pairs.push([0, this.spec.hostsPerRack]);
    if (this.spec.kind === 'tree' && this.spec.hostsPerRack === 1) pairs.shift();
    for (const [src, dst] of pairs) {
      const hosts: StackHost[] = [];
      let delivered = -1;
      const instance = this.stack.instantiate(n);
      const net = new Network(this.spec, (addr): Endpoint => {
        const h = instance.createHost(addr, { messageDelivered: () => (delivered = net.sim.now()) });
        hosts[addr.index] = h;
        return h.endpoint;
      }, seed);
      net.start();
      const hops = net.switchHops(src, dst);
      let id = 1;
      for (const size of wanted) {
        if (this.has(size, hops)) continue;
        const start = net.sim.now();
        delivered = -1;
        hosts[src]!.sendMessage(id++, dst, size, ONE_WAY);
        while (delivered < 0 && net.sim.pending > 0 && net.sim.now() - start < GIVE_UP_PS) net.sim.run(net.sim.now() + SETTLE_PS);
        if (delivered < 0) throw new Error(`stack ${this.stack.name} did not deliver a ${size} B message on an idle network`);
        this.table.set(size * 4 + hops, delivered - start);
        // Let trailing control traffic drain before the next message.
        net.sim.run(net.sim.now() + SETTLE_PS);
      }
    }
  }
}
