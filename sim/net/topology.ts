// sim/net/topology.ts — builds a network of hosts, switches and links from a small spec:
// one switch with N hosts, or a two-level tree (racks of hosts under top-of-rack switches,
// every ToR cabled to every aggregation switch). `paperTopology` is the Homa paper's
// datacenter (homa-simulation-setup.md): 144 hosts, 9 racks, 4 aggregation switches,
// 10/40 Gbps, no propagation delay, 0.25 us per switch, unbounded buffers, spraying.

import { Simulator } from './events.ts';
import { LinkFaults, type LinkFaultConfig } from './faults.ts';
import { hostAddress } from './frame.ts';
import { Host, type EndpointFactory } from './host.ts';
import { Link } from './link.ts';
import { Rng } from './rng.ts';
import { Switch, type UplinkSelection } from './switch.ts';

export interface CommonSpec {
  /** Host link rate. */
  readonly hostBitsPerSecond: number;
  readonly propagationDelayPs?: number;
  /** Fixed forwarding delay per switch (added when a frame enters an output queue). */
  readonly switchDelayPs?: number;
  /** Buffer per switch output port, bytes (default unbounded). */
  readonly bufferBytes?: number;
}

export interface SingleSwitchSpec extends CommonSpec {
  readonly kind: 'single';
  readonly hosts: number;
}

export interface TreeSpec extends CommonSpec {
  readonly kind: 'tree';
  readonly racks: number;
  readonly hostsPerRack: number;
  readonly aggregationSwitches: number;
  readonly coreBitsPerSecond: number;
  readonly uplinkSelection?: UplinkSelection;
}

export type TopologySpec = SingleSwitchSpec | TreeSpec;

export function paperTopology(overrides: Partial<Omit<TreeSpec, 'kind'>> = {}): TreeSpec {
  return {
    kind: 'tree',
    racks: 9,
    hostsPerRack: 16,
    aggregationSwitches: 4,
    hostBitsPerSecond: 10e9,
    coreBitsPerSecond: 40e9,
    propagationDelayPs: 0,
    switchDelayPs: 250_000,
    uplinkSelection: 'spray',
    ...overrides,
  };
}

export function hostCount(spec: TopologySpec): number {
  return spec.kind === 'single' ? spec.hosts : spec.racks * spec.hostsPerRack;
}

/** Both directions of one cable. */
export interface Cable {
  readonly name: string;
  /** From the first-named end to the second. */
  readonly forward: Link;
  readonly reverse: Link;
}

export class Network {
  readonly sim: Simulator;
  readonly hosts: Host[] = [];
  readonly switches: Switch[] = [];
  readonly cables: Cable[] = [];
  private readonly hostsPerSwitch: number;
  private faultStream = 0;

  constructor(
    readonly spec: TopologySpec,
    factory: EndpointFactory,
    readonly seed: number,
    sim?: Simulator,
  ) {
    this.sim = sim ?? new Simulator();
    validate(spec);
    const n = hostCount(spec);
    const prop = spec.propagationDelayPs ?? 0;
    const swDelay = spec.switchDelayPs ?? 0;
    const buffer = spec.bufferBytes ?? Number.POSITIVE_INFINITY;
    const selection = spec.kind === 'tree' ? (spec.uplinkSelection ?? 'spray') : 'spray';
    const edgeCount = spec.kind === 'single' ? 1 : spec.racks;
    this.hostsPerSwitch = spec.kind === 'single' ? spec.hosts : spec.hostsPerRack;
    for (let e = 0; e < edgeCount; e++) {
      this.switches.push(new Switch(spec.kind === 'single' ? 'switch' : `tor${e}`, n, selection, new Rng(seed, 0x100 + e)));
    }
    for (let h = 0; h < n; h++) {
      const host = new Host(this.sim, hostAddress(h), factory);
      const edge = this.switches[Math.floor(h / this.hostsPerSwitch)]!;
      const up = new Link(this.sim, { name: `host${h}->${edge.name}`, bitsPerSecond: spec.hostBitsPerSecond, propagationDelayPs: prop, sinkDelayPs: swDelay });
      const down = new Link(this.sim, { name: `${edge.name}->host${h}`, bitsPerSecond: spec.hostBitsPerSecond, propagationDelayPs: prop });
      host.uplink = up;
      host.downlink = down;
      up.connect(host, edge);
      const port = edge.addPort(down, buffer);
      down.connect(port, host);
      edge.routeHost(h, port);
      this.hosts.push(host);
      this.cables.push({ name: `host${h}`, forward: up, reverse: down });
    }
    if (spec.kind === 'tree') {
      const tors = this.switches.slice();
      for (let a = 0; a < spec.aggregationSwitches; a++) {
        const agg = new Switch(`agg${a}`, n, selection, new Rng(seed, 0x200 + a));
        this.switches.push(agg);
        tors.forEach((tor, r) => {
          const up = new Link(this.sim, { name: `${tor.name}->${agg.name}`, bitsPerSecond: spec.coreBitsPerSecond, propagationDelayPs: prop, sinkDelayPs: swDelay });
          const down = new Link(this.sim, { name: `${agg.name}->${tor.name}`, bitsPerSecond: spec.coreBitsPerSecond, propagationDelayPs: prop, sinkDelayPs: swDelay });
          const torPort = tor.addPort(up, buffer);
          const aggPort = agg.addPort(down, buffer);
          up.connect(torPort, agg);
          down.connect(aggPort, tor);
          for (let h = r * spec.hostsPerRack; h < (r + 1) * spec.hostsPerRack; h++) agg.routeHost(h, aggPort);
          this.cables.push({ name: `${tor.name}-${agg.name}`, forward: up, reverse: down });
        });
      }
      for (const tor of tors) tor.setUplinks(tor.ports.slice(spec.hostsPerRack));
    }
  }

  /** Attach every host's endpoint (call once, before running). */
  start(): void {
    for (const h of this.hosts) h.start();
  }

  /** Number of switches a frame from `src` to `dst` crosses (1 in-rack, 3 across racks). */
  switchHops(src: number, dst: number): number {
    return Math.floor(src / this.hostsPerSwitch) === Math.floor(dst / this.hostsPerSwitch) ? 1 : 3;
  }

  cable(name: string): Cable {
    const c = this.cables.find((x) => x.name === name);
    if (!c) throw new Error(`no cable named "${name}"; cables are host0..host${this.hosts.length - 1} and torR-aggA`);
    return c;
  }

  /** Every link, both directions of every cable. */
  get links(): Link[] {
    return this.cables.flatMap((c) => [c.forward, c.reverse]);
  }

  /** Seeded faults on one link (each faulty link has its own random stream). */
  setLinkFaults(link: Link, config: LinkFaultConfig): void {
    link.faults = new LinkFaults(config, this.seed, this.faultStream++);
  }

  /** Both directions of `cable` go down at `downAtPs` and, if given, up at `upAtPs`. */
  scheduleCableDown(cable: Cable, downAtPs: number, upAtPs?: number): void {
    this.sim.at(downAtPs, () => {
      cable.forward.setUp(false);
      cable.reverse.setUp(false);
    });
    if (upAtPs !== undefined) {
      this.sim.at(upAtPs, () => {
        cable.forward.setUp(true);
        cable.reverse.setUp(true);
      });
    }
  }

  /** Host crashes at `crashAtPs` and, if given, restarts with a fresh endpoint at `restartAtPs`. */
  scheduleHostCrash(host: number, crashAtPs: number, restartAtPs?: number): void {
    const h = this.hosts[host];
    if (!h) throw new RangeError(`host ${host} does not exist (0..${this.hosts.length - 1})`);
    this.sim.at(crashAtPs, () => h.crash());
    if (restartAtPs !== undefined) this.sim.at(restartAtPs, () => h.restart());
  }

  /** Network-wide loss accounting: nothing is dropped without being counted here. */
  lossCounters(): { bufferDrops: number; unroutable: number; faultDrops: number; linkDownDrops: number; fcsErrors: number; hostDownDrops: number } {
    let faultDrops = 0;
    let linkDownDrops = 0;
    let fcsErrors = 0;
    for (const l of this.links) {
      faultDrops += l.counters.droppedByFault;
      linkDownDrops += l.counters.droppedLinkDown;
      fcsErrors += l.counters.fcsErrors;
    }
    return {
      bufferDrops: this.switches.reduce((s, x) => s + x.bufferDrops, 0),
      unroutable: this.switches.reduce((s, x) => s + x.counters.unroutable, 0),
      faultDrops,
      linkDownDrops,
      fcsErrors,
      hostDownDrops: this.hosts.reduce((s, h) => s + h.counters.droppedWhileDown, 0),
    };
  }
}

function validate(spec: TopologySpec): void {
  const int = (name: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`topology ${name} = ${v}: must be an integer >= ${min}`);
  };
  if (!(spec.hostBitsPerSecond > 0)) throw new RangeError(`topology hostBitsPerSecond must be > 0`);
  if (spec.kind === 'single') int('hosts', spec.hosts, 2);
  else {
    int('racks', spec.racks, 1);
    int('hostsPerRack', spec.hostsPerRack, 1);
    int('aggregationSwitches', spec.aggregationSwitches, 1);
    if (!(spec.coreBitsPerSecond > 0)) throw new RangeError(`topology coreBitsPerSecond must be > 0`);
  }
}
