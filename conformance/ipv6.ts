// conformance/ipv6.ts — IPv6 hosts for the suite. SimCluster's own NIC kinds give every host its
// IPv4 address (the `model` kind sets `address: address.ipv4` after the caller's options, and
// `rtlNicKind` programs the engine with address.ipv4), so a cluster of IPv6 hosts cannot be
// asked for through its options today. Homa runs over IPv6 as over IPv4 (§1.1), so the suite
// registers one IPv6 variant of each kind, `<kind>+ipv6`, through SimCluster's public kind
// registry: the same NIC, given the host's IPv6 address (sim/net/frame.ts hostAddress: fd00::hi:lo,
// the MAC unchanged) in place of its IPv4 one. Nothing else differs.

import { registerNicKind, SimDevice, type NicKind, type NicKindContext } from '../host-lib/backends/sim.ts';
import { rtlNicKind } from '../host-lib/backends/rtl.ts';
import { ModelNic } from '../sim/model/nic.ts';

/** The kind name of `kind`'s IPv6 variant. */
export const ipv6Kind = (kind: string): string => `${kind}+ipv6`;

/** A reference-model host whose NIC and Device both use the IPv6 address. */
class Ipv6SimDevice extends SimDevice {
  // SimDevice reports the host's IPv4 address; host-lib picks the address family of its
  // destinations from this one (arguments.ts), so it must be the NIC's own.
  override readonly address: Uint8Array;
  constructor(ctx: NicKindContext) {
    super(ctx.cluster, ctx.index, new ModelNic({ checksums: ctx.mixed, ...ctx.options.nic, address: ctx.address.ipv6 }));
    this.address = Uint8Array.from(ctx.address.ipv6);
  }
}

const v6Context = (ctx: NicKindContext): NicKindContext => ({ ...ctx, address: { ...ctx.address, ipv4: ctx.address.ipv6 } });

function rtlIpv6(engine: 'js' | 'verilator'): NicKind {
  const base = rtlNicKind(engine);
  return {
    description: `${base.description}, on the host's IPv6 address`,
    prepare: base.prepare,
    // The RTL kind takes the engine's address from `address.ipv4` (and its MAC from the last
    // four bytes, which hostAddress makes the same for both families).
    create: (ctx) => base.create(v6Context(ctx)),
  };
}

let registered = false;

/** Registers model+ipv6, rtl+ipv6 and rtl-verilator+ipv6 (once per process). */
export function registerIpv6Kinds(): void {
  if (registered) return;
  registered = true;
  registerNicKind(ipv6Kind('model'), { description: 'the reference model, on the host\'s IPv6 address', create: (ctx) => new Ipv6SimDevice(ctx) });
  registerNicKind(ipv6Kind('rtl'), rtlIpv6('js'));
  registerNicKind(ipv6Kind('rtl-verilator'), rtlIpv6('verilator'));
}
