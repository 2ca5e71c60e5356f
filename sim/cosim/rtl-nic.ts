// sim/cosim/rtl-nic.ts — one RTL engine as a simulated host NIC: the engine top (any module
// with engineIo(config)'s ports) in a Simulator ('js' or 'verilator'), with the host memory,
// DMA watchdog, MAC and register port around it. It is an Endpoint (sim/net/endpoint.ts), so it
// stands wherever a model NIC stands (DirectWire, sim/net), and it offers what host-lib's
// Device needs (registers, DMA memory, an event count), adapted by host-lib/backends/rtl.ts.
//
// Time. Engine cycle c happens at simulated time c * clock period (u250: 4 ns). The NIC steps
// the simulator only when something is going on:
//  - an input (a frame, a register access) first brings the engine up to the current time;
//    cycles that passed while the engine was quiet (its `idle` output high and nothing waiting
//    in the adapters) are skipped, not simulated;
//  - while it is not quiet it runs in chunks of up to `chunkCycles` cycles, each chunk an event
//    on the network's queue at the time of its first cycle. A frame finished, or an irq raised,
//    in cycle c is handed out at time c * period (an event in the future when the chunk ran
//    ahead), so outputs carry exact times; an input that arrives while the engine is ahead
//    enters at the next cycle not yet run (at most chunkCycles - 1 late; exact at 1);
//  - a register access happens at the current simulated time and steps the engine until the
//    answer comes, which may leave the engine a few cycles ahead of the clock. It never steps
//    backwards. DMA writes land in host memory at engine time;
//  - the engine's clock of microseconds (`now_us`) is the simulated time of each cycle stepped,
//    so skipped cycles lose no time. When it goes quiet with `timer_armed` high (RPCs wait on
//    the tick), the NIC wakes it at the cycle of `wake_us`, the next tick.

import { flattenIo } from '../../hw/hdl/ports.ts';
import type { ModuleDef } from '../../hw/hdl/module.ts';
import type { IoSpec } from '../../hw/hdl/ports.ts';
import { simulate } from '../../hw/hdl/sim/index.ts';
import type { PortHandle, Simulator } from '../../hw/hdl/sim/simulator.ts';
import { registerOffset } from '../../hw/homa/abi.ts';
import { engineParams, type EngineConfig } from '../../hw/homa/engine/config.ts';
import { REG_ADDR_BITS, engineIo } from '../../hw/homa/engine/types.ts';
import type { Endpoint, EndpointPort } from '../net/endpoint.ts';
import { BeatCodec } from './beats.ts';
import { DmaPort, type DmaLatency } from './dma-port.ts';
import { DmaWatchdog } from './dma-watchdog.ts';
import { HostMemory, type HostBuffer } from './host-memory.ts';
import { MacPort } from './mac-port.ts';
import { PortProtocolError } from './protocol-error.ts';
import { RegPort } from './reg-port.ts';
import { claimWaveFile } from './waves.ts';

export interface RtlNicOptions {
  readonly config: EngineConfig;
  /** The NIC's IP address: 4 bytes (IPv4) or 16 (IPv6); programmed into ip_addr at attach. */
  readonly ip: Uint8Array;
  /** The NIC's Ethernet address (6 bytes); programmed into mac_addr at attach. */
  readonly mac: Uint8Array;
  /** Most cycles run per event while busy (default 1: inputs enter at their exact cycle). */
  readonly chunkCycles?: number;
  /** Clock period in picoseconds (default 1e6 / config.clockMhz, rounded). */
  readonly clockPeriodPs?: number;
  /** Cycles a register access may take before the run fails (default 10,000). */
  readonly regTimeoutCycles?: number;
  /** Added host-memory latency (default none). */
  readonly dma?: DmaLatency;
  /** Called at the simulated time of every irq pulse (a cluster wakes its waiters here). */
  readonly onEvent?: (qp: number) => void;
  /** Names this NIC in error messages (default 'rtl nic'). */
  readonly name?: string;
  /**
   * Write a VCD of the engine here, stamped in simulated time (ps); default: the process-wide
   * request (waves.ts: --vcd, HOMA_NIC_VCD), else none.
   */
  readonly vcd?: string;
  /** Only this window of simulated time (ps) goes into the VCD. */
  readonly vcdWindowPs?: { readonly start: number; readonly end: number };
}

export interface RtlNicBuild extends RtlNicOptions {
  /** The engine top: any module with engineIo(config)'s ports (homaEngine(c), or a stand-in). */
  readonly top: ModuleDef<IoSpec>;
  /** Simulation engine (default 'js'). */
  readonly engine?: string;
}

export interface RtlNicCounters {
  readonly cyclesStepped: number;
  readonly cyclesSkipped: number;
  readonly framesIn: number;
  readonly framesOut: number;
  readonly rxStallCycles: number;
  readonly dmaBytesRead: number;
  readonly dmaBytesWritten: number;
  readonly dmaReadRequests: number;
  readonly dmaWriteRequests: number;
  readonly regReads: number;
  readonly regWrites: number;
  readonly events: number;
}

export class RtlNic implements Endpoint {
  /** Builds the simulator of `top` on `engine` and the NIC around it. */
  static async create(o: RtlNicBuild): Promise<RtlNic> {
    const sim = await simulate(o.top, { engine: o.engine ?? 'js' });
    return new RtlNic(sim, o);
  }

  readonly sim: Simulator;
  readonly config: EngineConfig;
  readonly periodPs: number;
  readonly memory = new HostMemory();
  readonly watchdog: DmaWatchdog;
  readonly name: string;
  /** The IP address as given (4 or 16 bytes). */
  readonly ip: Uint8Array;
  /** The IP address as the engine holds it (16 bytes; IPv4 as ::ffff:a.b.c.d). */
  readonly ipv6: Uint8Array;
  readonly mac: Uint8Array;
  /** irq pulses so far, in all and per queue pair. */
  events = 0;
  readonly eventsByQueuePair: Uint32Array;
  onEvent: ((qp: number) => void) | null;
  /** The error that stopped the run (watchdog, protocol); every later call throws it again. */
  failure: Error | null = null;

  private port: EndpointPort | null = null;
  private readonly chunk: number;
  private readonly regTimeout: number;
  private readonly reg: RegPort;
  private readonly mac_: MacPort;
  private readonly dma: DmaPort;
  private readonly idle: PortHandle;
  private readonly nowUs: PortHandle;
  private readonly timerArmed: PortHandle;
  private readonly wakeUs: PortHandle;
  /** The cycle of the earliest timer wake on the queue (-1: none). */
  private wakeAt = -1;
  private readonly irqValid: PortHandle;
  private readonly irqQp: PortHandle;
  private readonly outputValids: [string, PortHandle][];
  private readonly tx: Uint8Array[] = [];
  private txHead = 0;
  /** Cycles passed (stepped or skipped): the index of the next cycle. */
  private next = 0;
  /** The cycle being stepped (hooks and messages). */
  private current = 0;
  private stepped = 0;
  private skipped = 0;
  private runPending = false;

  constructor(sim: Simulator, o: RtlNicOptions) {
    checkPorts(sim, o.config);
    this.sim = sim;
    this.config = o.config;
    this.name = o.name ?? 'rtl nic';
    this.periodPs = o.clockPeriodPs ?? Math.round(1e6 / o.config.clockMhz);
    this.chunk = o.chunkCycles ?? 1;
    this.regTimeout = o.regTimeoutCycles ?? 10_000;
    if (!Number.isInteger(this.periodPs) || this.periodPs <= 0) throw new RangeError(`${this.name}: clock period ${this.periodPs} ps must be a positive integer`);
    if (!Number.isInteger(this.chunk) || this.chunk < 1) throw new RangeError(`${this.name}: chunkCycles ${this.chunk} must be an integer >= 1`);
    this.ipv6 = ipv6Of(o.ip);
    this.ip = Uint8Array.from(o.ip);
    if (o.mac.length !== 6) throw new RangeError(`${this.name}: a MAC address has 6 bytes (got ${o.mac.length})`);
    this.mac = Uint8Array.from(o.mac);
    this.onEvent = o.onEvent ?? null;
    this.eventsByQueuePair = new Uint32Array(o.config.queuePairs);
    const where = (): string => this.where();
    const codec = new BeatCodec(o.config.beatBytes);
    this.watchdog = new DmaWatchdog(this.memory, o.config.queuePairs, where);
    this.reg = new RegPort(sim, where);
    this.mac_ = new MacPort(sim, codec, this.periodPs, (f, c) => this.frameOut(f, c), where);
    this.dma = new DmaPort(sim, codec, this.watchdog, o.dma, where);
    this.idle = sim.port('idle');
    this.nowUs = sim.port('now_us');
    this.timerArmed = sim.port('timer_armed');
    this.wakeUs = sim.port('wake_us');
    this.irqValid = sim.port('irq_valid');
    this.irqQp = sim.port('irq_data');
    sim.port('irq_ready').set(1);
    this.outputValids = ['reg_resp', 'dma_rd_req', 'dma_wr_req', 'dma_wr_data', 'mac_tx', 'irq'].map((n) => [n, sim.port(`${n}_valid`)]);
    sim.reset(2);
    sim.onCycle(this.onEngineCycle);
    const waves = o.vcd ? { path: o.vcd, windowPs: o.vcdWindowPs } : claimWaveFile();
    if (waves) this.traceVcd(waves.path, waves.windowPs);
  }

  /** The VCD file this NIC writes (null: none). */
  vcdPath: string | null = null;

  /**
   * Records the engine's waveform from now on: every signal by instance, FSM states by name,
   * stamped in simulated time (ps, engine cycle x period), only inside `windowPs` if given.
   */
  traceVcd(path: string, windowPs?: { readonly start: number; readonly end: number }): void {
    this.sim.traceVcd(path, { timescale: '1ps', period: this.periodPs, timeOf: () => this.current * this.periodPs, ...(windowPs ? { window: windowPs } : {}) });
    this.vcdPath = path;
  }

  // ---- Endpoint ----------------------------------------------------------------------------

  attach(port: EndpointPort): void {
    if (this.port) throw new Error(`${this.name}: attached twice (an RtlNic serves one host; make a new one for a restart)`);
    this.port = port;
    this.mac_.setLinkRate(port.linkBitsPerSecond);
    // As a driver would at probe: tell the engine who it is.
    const params = engineParams(this.config);
    const ip = registerOffset('config', 'ip_addr', params);
    for (let i = 0; i < 4; i++) this.write32(ip + 4 * i, ((this.ipv6[4 * i]! << 24) | (this.ipv6[4 * i + 1]! << 16) | (this.ipv6[4 * i + 2]! << 8) | this.ipv6[4 * i + 3]!) >>> 0);
    const mac = registerOffset('config', 'mac_addr', params);
    const m = this.mac;
    this.write32(mac, ((m[2]! << 24) | (m[3]! << 16) | (m[4]! << 8) | m[5]!) >>> 0);
    this.write32(mac + 4, (m[0]! << 8) | m[1]!);
  }

  receive(frame: Uint8Array, fcsError = false): void { this.receiveFrame(frame, fcsError); }

  /** A frame from the link; with `fcsError` it enters with `error` set on its last beat (a bad FCS). */
  receiveFrame(frame: Uint8Array, fcsError: boolean): void {
    const port = this.live();
    this.catchUp(port.now());
    this.mac_.receive(frame, fcsError);
    this.ensureRunning();
  }

  pull(): Uint8Array | null {
    if (this.txHead === this.tx.length) return null;
    const f = this.tx[this.txHead++]!;
    if (this.txHead === this.tx.length) { this.tx.length = 0; this.txHead = 0; }
    return f;
  }

  // ---- host access ---------------------------------------------------------------------------

  read32(offset: number): number { return this.access(false, offset, 0); }
  write32(offset: number, value: number): void { this.access(true, offset, value); }

  /** Host memory the engine can reach (zeroed, aligned to `align`, default 4096). */
  allocateDma(bytes: number, align?: number): HostBuffer { return this.memory.allocate(bytes, align); }
  /** Gives host memory back; the engine touching it afterwards fails the run. */
  freeDma(buffer: HostBuffer): void { this.memory.free(buffer); }

  /** Simulated time (ps) of the network this NIC is attached to. */
  nowPs(): number { return this.live().now(); }
  /** The next engine cycle to run (cycles passed, stepped or skipped). */
  get cycle(): number { return this.next; }

  get counters(): RtlNicCounters {
    return {
      cyclesStepped: this.stepped, cyclesSkipped: this.skipped, framesIn: this.mac_.framesIn, framesOut: this.mac_.framesOut,
      rxStallCycles: this.mac_.rxStallCycles, dmaBytesRead: this.dma.bytesRead, dmaBytesWritten: this.dma.bytesWritten,
      dmaReadRequests: this.dma.readRequests, dmaWriteRequests: this.dma.writeRequests, regReads: this.reg.reads,
      regWrites: this.reg.writes, events: this.events,
    };
  }

  /** The engine is quiet: `idle` high and nothing waiting in the MAC, DMA or register port. */
  get quiet(): boolean {
    if (!this.mac_.quiet || !this.dma.quiet || this.reg.busy || this.idle.get() !== 1) return false;
    // The clock stops here, so an output offered now would wait for the next input: that is an
    // engine whose `idle` is not honest, and the run stops with the stream named.
    for (const [name, valid] of this.outputValids) {
      if (valid.get() === 1) {
        this.failure = new PortProtocolError(`${this.name}: the engine's idle output is high while ${name} offers a beat (${this.where()}); `
          + 'idle must be low while anything is in flight (engineIo in hw/homa/engine/types.ts), or the co-simulation stops the clock on it');
        throw this.failure;
      }
    }
    return true;
  }

  dispose(): void { this.sim.dispose(); }

  // ---- time ------------------------------------------------------------------------------------

  private access(write: boolean, offset: number, value: number): number {
    const port = this.live();
    if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0 || offset >= 2 ** REG_ADDR_BITS) {
      throw new RangeError(`${this.name}: register offset ${offset}: must be a multiple of 4 below 0x${(2 ** REG_ADDR_BITS).toString(16)}`);
    }
    if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 32) throw new RangeError(`${this.name}: register value ${value} is not a 32-bit integer`);
    this.catchUp(port.now());
    // The watchdog learns a registration before the engine can act on it (an ENABLE may start
    // DMA before the write's answer comes back).
    if (write) this.watchdog.hostWrite(offset, value >>> 0);
    this.reg.start(write, offset, value);
    for (let n = 0; !this.reg.done; n++) {
      if (n >= this.regTimeout) {
        this.failure = new PortProtocolError(`${this.name}: register ${write ? 'write' : 'read'} at 0x${offset.toString(16)} got no answer in ${this.regTimeout} cycles (${this.where()}); the engine's reg_req/reg_resp must answer every access`);
        throw this.failure;
      }
      this.stepOne();
    }
    const result = this.reg.result >>> 0;
    if (!write) this.watchdog.hostRead(offset, result);
    this.ensureRunning();
    return result;
  }

  private live(): EndpointPort {
    if (this.failure) throw this.failure;
    if (!this.port) throw new Error(`${this.name}: not attached to a network yet (put it on a DirectWire or a sim/net topology first)`);
    return this.port;
  }

  /** Brings the engine up to the first cycle at or after `nowPs`, skipping quiet cycles. */
  private catchUp(nowPs: number): void {
    const target = Math.ceil(nowPs / this.periodPs);
    while (this.next < target) {
      if (this.quiet) { this.skipped += target - this.next; this.next = target; return; }
      this.stepOne();
    }
  }

  private ensureRunning(): void {
    if (this.runPending || !this.port || this.failure) return;
    if (this.quiet) { this.armWake(); return; }
    this.runPending = true;
    this.port.at(Math.max(this.port.now(), this.next * this.periodPs), this.run);
  }

  /** The engine is quiet but its timers are armed: run it again at the next tick. */
  private armWake(): void {
    if (this.timerArmed.get() !== 1) return;
    // wake_us wraps at 2^32 us; a tick already due (or a wrapped past) wakes at the next cycle.
    const nowUs = this.usOf(this.next);
    const ahead = ((this.wakeUs.get() as number) - nowUs) >>> 0;
    const cycle = ahead >= 2 ** 31 ? this.next : Math.max(this.next, Math.ceil(((nowUs + ahead) * 1e6) / this.periodPs));
    if (this.wakeAt >= 0 && this.wakeAt <= cycle) return;
    this.wakeAt = cycle;
    this.port!.at(Math.max(this.port!.now(), cycle * this.periodPs), () => {
      if (this.wakeAt === cycle) this.wakeAt = -1;
      if (this.runPending || this.failure || !this.port) return;
      this.runPending = true;
      this.run();
    });
  }

  /** The microsecond (simulated time) of engine cycle `cycle`. */
  private usOf(cycle: number): number { return Math.floor((cycle * this.periodPs) / 1e6); }

  private readonly run = (): void => {
    this.runPending = false;
    if (this.failure || !this.port) return;
    const now = this.port.now();
    if (this.next * this.periodPs > now) { this.ensureRunning(); return; }   // a register access ran ahead
    this.catchUp(now);
    for (let i = 0; i < this.chunk; i++) {
      this.stepOne();
      if (this.quiet) break;
    }
    this.ensureRunning();
  };

  private stepOne(): void {
    this.current = this.next;
    try {
      this.sim.step(1);
    } catch (e) {
      this.failure = e instanceof Error ? e : new Error(String(e));
      throw this.failure;
    }
    this.next++;
    this.stepped++;
  }

  /** Every stepped cycle, before the edge: drive every input, then see what moved. */
  private readonly onEngineCycle = (): void => {
    const k = this.current;
    this.nowUs.set(this.usOf(k) % 2 ** 32);
    this.reg.drive();
    this.mac_.drive(k);
    this.dma.drive(k);          // last: it reads a valid to decide a ready
    this.reg.sample();
    this.mac_.sample(k);
    this.dma.sample(k);
    if (this.irqValid.get() === 1) this.raise(this.irqQp.get() as number, k);
  };

  private raise(qp: number, cycle: number): void {
    const fire = (): void => {
      this.events++;
      if (qp < this.eventsByQueuePair.length) this.eventsByQueuePair[qp]!++;
      this.onEvent?.(qp);
    };
    this.at(cycle, fire);
  }

  private frameOut(frame: Uint8Array, cycle: number): void {
    this.at(cycle, () => {
      this.tx.push(frame);
      this.port!.wake();
    });
  }

  /**
   * Runs `fn` at the time of engine cycle `cycle` (later than now when the engine ran ahead),
   * always from the event queue: never inside a step, so a callback may use the NIC.
   */
  private at(cycle: number, fn: () => void): void {
    const port = this.port;
    if (!port) fn();
    else port.at(Math.max(cycle * this.periodPs, port.now()), fn);
  }

  private where(): string {
    const t = this.current * this.periodPs;
    return `${this.name}, engine cycle ${this.current}, ${t / 1000} ns`;
  }
}

/** 16-byte form of an IP address: IPv4 as ::ffff:a.b.c.d (spec §1.1). */
function ipv6Of(ip: Uint8Array): Uint8Array {
  if (ip.length === 16) return Uint8Array.from(ip);
  if (ip.length !== 4) throw new RangeError(`an IP address has 4 or 16 bytes (got ${ip.length})`);
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(ip, 12);
  return out;
}

/** The simulator must have exactly the engine top's ports (engineIo(config)). */
function checkPorts(sim: Simulator, c: EngineConfig): void {
  const want = flattenIo(engineIo(c));
  const have = new Map(sim.ports.map((p) => [p.name, p]));
  const problems: string[] = [];
  for (const w of want) {
    const h = have.get(w.name);
    if (!h) problems.push(`missing ${w.dir}put '${w.name}' (${w.layout.width} bits)`);
    else if (h.width !== w.layout.width || h.dir !== w.dir) problems.push(`'${w.name}' is ${h.dir}put ${h.width} bits, the engine top's is ${w.dir}put ${w.layout.width} bits`);
  }
  if (problems.length) {
    throw new Error(`RtlNic: the simulated design does not have the engine top's ports for configuration '${c.name}' (engineIo in hw/homa/engine/types.ts): ${problems.join('; ')}`);
  }
}
