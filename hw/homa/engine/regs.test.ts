// hw/homa/engine/regs.test.ts — the register block answers ABI v2 as hw/homa/abi describes
// it: every block word as the reset image has it, tunables and counters, and each queue pair's
// two pages with the enable / disable rules of records.ts.
import { describe, expect, test } from 'vitest';
import { simulate, Testbench, type Simulator, type StreamMonitor } from '../../hdl/sim/index.ts';
import {
  COUNTERS, QP_CTRL_BASE, QP_CTRL_REG, QP_STRIDE, QP_USER_BASE, QP_USER_REG, QpCtrl, QpStatus, registerOffset, resetImage,
} from '../abi.ts';
import { engines } from '../../lib/testing.ts';
import { ENGINE_CONFIGS, engineParams, type EngineConfig } from './config.ts';
import { engineRegs } from './regs.ts';
import { RegPort } from './testing.ts';

const ctrl = (qp: number, name: string): number => QP_CTRL_BASE + qp * QP_STRIDE + QP_CTRL_REG[name]!;
const user = (qp: number, name: string): number => QP_USER_BASE + qp * QP_STRIDE + QP_USER_REG[name]!;

interface Rig { sim: Simulator; regs: RegPort; events: StreamMonitor; doorbells: StreamMonitor; c: EngineConfig }

async function rig(c: EngineConfig, engine: string): Promise<Rig> {
  const sim = await simulate(engineRegs(c), { engine });
  const tb = new Testbench(sim);
  const events = tb.monitor('qp_event');
  const doorbells = tb.monitor('doorbell');
  for (const p of sim.ports.filter((x) => x.dir === 'in' && x.path[0] === 'count')) sim.poke(p.name, 0);
  sim.poke('update_valid', 0);
  sim.poke('dma_idle', 1);
  sim.poke('port_lookup', 0);
  sim.reset(2);
  return { sim, regs: new RegPort(sim), events, doorbells, c };
}

/** One engine-side update (kind = index in qpUpdateKind), held until taken. */
function update(r: Rig, kind: number, qp: number, value: number): void {
  r.sim.poke('update.valid', 1);
  r.sim.poke('update.payload.kind', kind);
  r.sim.poke('update.payload.qp', qp);
  r.sim.poke('update.payload.value', value);
  for (let i = 0; Number(r.sim.peek('update.ready')) === 0; i++) { if (i > 100) throw new Error('update never taken'); r.sim.step(1); }
  r.sim.step(1);
  r.sim.poke('update.valid', 0);
}

/** Program queue pair `qp`'s control page (as a driver does) and write ctrl; returns its status. */
function enable(r: Rig, qp: number, port: number, over: Record<string, number> = {}): number {
  const v: Record<string, number> = {
    port, sq_base_lo: 0x10000, sq_base_hi: 1, sq_log_size: 8, cq_base_lo: 0x20000, cq_base_hi: 1, cq_log_size: 10,
    bret_base_lo: 0x30000, bret_base_hi: 1, bret_log_size: 12, bpool_base_lo: 0x1000000, bpool_base_hi: 2,
    bpool_num_bpages: 40, send_base_lo: 0x40000, send_base_hi: 1, send_size: 0x8000, ...over,
  };
  for (const [k, x] of Object.entries(v)) r.regs.write(ctrl(qp, k), x);
  r.regs.write(ctrl(qp, 'ctrl'), QpCtrl.ENABLE | QpCtrl.SERVER | QpCtrl.IRQ_ENABLE);
  return r.regs.read(user(qp, 'status'));
}

for (const name of ['u250', 'ice40'] as const) {
  const c = ENGINE_CONFIGS[name];
  describe(`register block (${name})`, () => {
    for (const engine of engines) {
      test(`every block word reads as the ABI's reset image, tunables write back, counters count (${engine})`, async () => {
        const r = await rig(c, engine);
        const image = resetImage(engineParams(c));
        const end = registerOffset('queue_pairs', 'stride', engineParams(c)) + 4;
        for (let off = 0; off < end; off += 4) expect(r.regs.read(off), `word at 0x${off.toString(16)}`).toBe(image[off / 4]);
        // A tunable writes back; a read-only one does not change; the IP address reaches the receive path.
        const ub = registerOffset('config', 'unsched_bytes', engineParams(c));
        r.regs.write(ub, 20000);
        expect(r.regs.read(ub)).toBe(20000);
        const ver = registerOffset('config', 'cutoff_version', engineParams(c));
        r.regs.write(ver, 7);
        expect(r.regs.read(ver)).toBe(1);
        const ip = registerOffset('config', 'ip_addr', engineParams(c));
        [0, 0, 0xffff, 0x0a000002].forEach((x, i) => r.regs.write(ip + 4 * i, x));
        expect(r.sim.peek('ip_addr')).toBe(0xffff0a000002n);
        // Counters: each strobe adds one; the low word latches the high word.
        const k = COUNTERS.indexOf('short_packets');
        r.sim.poke('count_short_packets', 1);
        r.sim.step(5);
        r.sim.poke('count_short_packets', 0);
        const at = registerOffset('counters', 'short_packets', engineParams(c));
        expect(r.regs.read(at)).toBe(5);
        expect(r.regs.read(at + 4)).toBe(0);
        expect(r.regs.read(registerOffset('counters', COUNTERS[k + 1]!, engineParams(c)))).toBe(0);
        r.sim.dispose();
      });

      test(`a queue pair starts with its whole configuration, takes doorbells, and stops only when the engine is quiet (${engine})`, async () => {
        const r = await rig(c, engine);
        const qp = c.queuePairs - 1;
        expect(enable(r, qp, 99)).toBe(QpStatus.ACTIVE);
        expect(r.regs.read(ctrl(qp, 'ctrl'))).toBe(QpCtrl.ENABLE | QpCtrl.SERVER | QpCtrl.IRQ_ENABLE);
        expect(r.events.received).toEqual([expect.objectContaining({
          kind: 0, qp, gen: 1, server: 1, irq: 1, port: 99, sq_base: 0x1_0001_0000n, sq_log: 8, cq_base: 0x1_0002_0000n, cq_log: 10,
          bret_base: 0x1_0003_0000n, bret_log: 12, bpool_base: 0x2_0100_0000n, bpool_bpages: 40, send_base: 0x1_0004_0000n, send_size: 0x8000,
        })]);
        // The port map answers for the bound port.
        r.sim.poke('port_lookup', 99);
        r.sim.step(1);
        expect(r.sim.peek('port_found_hit')).toBe(1);
        expect(r.sim.peek('port_found_qp')).toBe(qp);
        // While enabled, the control page's memory registers are fixed.
        r.regs.write(ctrl(qp, 'sq_base_lo'), 0x5000);
        expect(r.regs.read(ctrl(qp, 'sq_base_lo'))).toBe(0x10000);
        // Doorbells: stored and announced; engine-owned words come back through `update`.
        r.regs.write(user(qp, 'sq_tail'), 3);
        r.regs.write(user(qp, 'bret_tail'), 7);
        expect(r.doorbells.received).toEqual([{ kind: 0, qp, value: 3 }, { kind: 2, qp, value: 7 }]);
        expect(r.regs.read(user(qp, 'sq_tail'))).toBe(3);
        update(r, 4, qp, QpStatus.BPAGE_DOUBLE_FREE);  // status_set
        update(r, 1, qp, 5);                           // cq_tail
        expect(r.regs.read(user(qp, 'cq_tail'))).toBe(5);
        expect(r.regs.read(ctrl(qp, 'status'))).toBe(QpStatus.ACTIVE | QpStatus.BPAGE_DOUBLE_FREE);
        // SERVER off while running.
        r.regs.write(ctrl(qp, 'ctrl'), QpCtrl.ENABLE | QpCtrl.IRQ_ENABLE);
        expect(r.events.received[1]).toEqual(expect.objectContaining({ kind: 2, qp, server: 0, irq: 1 }));
        // Disable: the port is free at once, ACTIVE holds until no DMA is in flight.
        r.sim.poke('dma_idle', 0);
        r.regs.write(ctrl(qp, 'ctrl'), 0);
        expect(r.events.received[2]).toEqual(expect.objectContaining({ kind: 1, qp }));
        expect(r.regs.read(ctrl(qp, 'status')) & QpStatus.ACTIVE).toBe(QpStatus.ACTIVE);
        r.sim.step(1);
        expect(r.sim.peek('port_found_hit')).toBe(0);
        r.sim.poke('dma_idle', 1);
        r.sim.step(2);
        expect(r.regs.read(ctrl(qp, 'status')) & QpStatus.ACTIVE).toBe(0);
        expect(r.regs.read(ctrl(qp, 'ctrl'))).toBe(0);
        // Doorbells of a stopped queue pair are ignored; it can start again, with fresh rings.
        r.regs.write(user(qp, 'sq_tail'), 9);
        expect(r.doorbells.received.length).toBe(2);
        expect(enable(r, qp, 99)).toBe(QpStatus.ACTIVE);
        expect(r.events.received[3]).toEqual(expect.objectContaining({ kind: 0, qp, gen: 2 }));
        for (const n of ['sq_tail', 'cq_head', 'bret_tail', 'sq_head', 'cq_tail', 'bret_head', 'bpool_avail_bytes']) expect(r.regs.read(user(qp, n)), n).toBe(0);
        r.sim.dispose();
      });

      test(`a queue pair with a bad configuration or a bound port is refused (${engine})`, async () => {
        const r = await rig(c, engine);
        expect(enable(r, 0, 1000)).toBe(QpStatus.ACTIVE);
        expect(enable(r, 1, 1000)).toBe(QpStatus.PORT_IN_USE);
        for (const bad of <Record<string, number>[]>[{ port: 0 }, { port: 0x10000 }, { sq_log_size: 1 }, { cq_log_size: 17 }, { bpool_num_bpages: 32 },
          { bpool_num_bpages: c.maxRegionBpages + 1 }, { cq_base_lo: 0x20100 }, { send_base_lo: 0x8 }]) {
          expect(enable(r, 1, 2000, bad), JSON.stringify(bad)).toBe(QpStatus.BAD_CONFIG);
          expect(r.regs.read(ctrl(1, 'ctrl'))).toBe(0);
        }
        expect(r.events.received.length).toBe(1);
        expect(enable(r, 1, 2000)).toBe(QpStatus.ACTIVE);
        r.sim.dispose();
      });
    }
  });
}
