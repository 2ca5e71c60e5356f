// hw/homa/engine/regs.ts — the register block: ABI v2's register map (hw/homa/abi, through
// regs_map.ts; no offset here is written by hand), one access at a time from the host.
//
// - Blocks below QP_CTRL_BASE: identity and queue-pair header (constants), the tunables (a RAM
//   with HomaModule's defaults; the few the engine uses also live in flip-flops), and the
//   64-bit counters (flip-flops; reading a counter's low word latches its high word, so a
//   low-then-high read never tears).
// - Each queue pair's control page (kernel only) and user page. Ring, region and send-region
//   registers sit in a RAM and are read once, when ENABLE is written: the engine then announces
//   the queue pair's whole configuration on `qp_event` and ignores writes to them until it is
//   disabled (records.ts). Doorbells (sq_tail, cq_head, bret_tail) go out on `doorbell`; the
//   engine's side of each ring and the free receive space come back on `update`.
// - Per-queue-pair state (enabled, SERVER, IRQ_ENABLE, generation, sticky status bits, the
//   bound port) is one RAM word per queue pair, read when an access arrives: flip-flops for
//   256 queue pairs would cost a 256-way multiplexer on every path that reads them.
// - A disable unbinds the port at once (port_map.ts); ACTIVE stays set until every block took
//   the event and no DMA is in flight (`dma_idle`), so the host never frees memory the engine
//   still reaches. Disables complete in epochs: a queue pair disabled during drain epoch e is
//   ACTIVE until epoch e ends.
// - The port map answers the receive path directly: `port_lookup` -> `port_found` one cycle
//   later (hit and queue pair; the receive path keeps SERVER and the generation from qp_event).

import {
  assign, bool, clog2, connect, input, lit, module, mux, output, record, stream, switchOn, u, vec, when, type Bool, type Fields, type RecordLayout, type UInt, type UIntLayout, type VecLayout,
} from '../../hdl/index.ts';
import { COUNTERS, MAX_RING_LOG, MIN_REGION_BPAGES, MIN_RING_LOG, QpStatus } from '../abi.ts';
import { checkConfig, engineParams, engineWidths, type EngineConfig } from './config.ts';
import { portMap } from './port_map.ts';
import { registerMap } from './regs_map.ts';
import { engineLayouts } from './types.ts';

/** Bits of a counter's increment per cycle (several blocks may count one event kind at once). */
export const COUNT_INC_BITS = 2;
/** Counters of bytes: their increment is a byte count, this wide. */
export const BYTE_COUNTERS: Readonly<Record<string, number>> = {
  fifo_grant_bytes: 20, sent_msg_bytes: 11, pacer_fifo_bytes: 11,
  ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`priority${i}_bytes`, 12])),
};
/** One increment input per ABI counter (hw/homa/abi COUNTERS): the events of this cycle, 0..3, or bytes. */
export function counterIncrements() {
  return record(Object.fromEntries(COUNTERS.map((n) => [n, u(BYTE_COUNTERS[n] ?? COUNT_INC_BITS)])) as Fields);
}

/**
 * Tunables the engine's blocks read, mirrored in flip-flops (word i of a multi-word tunable is
 * element i): the rest of the config block lives only in its RAM.
 */
export const ENGINE_TUNABLES = [
  'ip_addr', 'mac_addr', 'max_incoming', 'max_overcommit', 'window', 'unsched_cutoffs', 'cutoff_version', 'max_sched_prio',
  'priority_map', 'num_priorities', 'grant_fifo_fraction', 'fifo_grant_increment', 'link_mbps', 'tick_usecs',
  'unsched_bytes', 'mtu', 'pacer_fifo_fraction', 'resend_ticks', 'resend_interval', 'timeout_ticks',
  'request_ack_ticks',
] as const;
export type EngineTunable = (typeof ENGINE_TUNABLES)[number];

/** The mirrored tunables' fields: one vector of 32-bit words per tunable, typed by name. */
export type TunablesFields = { readonly [K in EngineTunable]: VecLayout<UIntLayout<32>, number> };

/** The mirrored tunables as one record of word vectors (`tun.max_incoming.at(0)` ...). */
export function tunablesLayout(c: EngineConfig): RecordLayout<TunablesFields> {
  const map = registerMap(engineParams(c));
  const words = (n: string): number => map.config.filter((x) => x.name === n).length;
  return record(Object.fromEntries(ENGINE_TUNABLES.map((n) => [n, vec(u(32), words(n))])) as TunablesFields);
}

/** Words of the control page read at ENABLE, in this order (ring, region and send registers). */
const ENABLE_WORDS = [
  'port', 'sq_base_lo', 'sq_base_hi', 'sq_log_size', 'cq_base_lo', 'cq_base_hi', 'cq_log_size', 'bret_base_lo', 'bret_base_hi',
  'bret_log_size', 'bpool_base_lo', 'bpool_base_hi', 'bpool_num_bpages', 'send_base_lo', 'send_base_hi', 'send_size',
] as const;
/** User-page words cleared at ENABLE (every head, tail and the free bytes). */
const USER_CLEARED = ['sq_tail', 'cq_head', 'bret_tail', 'sq_head', 'cq_tail', 'bret_head', 'bpool_avail_bytes'] as const;

export function engineRegs(c: EngineConfig) {
  checkConfig(c);
  const L = engineLayouts(c);
  const w = engineWidths(c);
  const map = registerMap(engineParams(c));
  const nQp = c.queuePairs;
  const nCfg = map.config.length;
  const cfgAw = clog2(nCfg);
  const cw = (name: string): number => map.ctrlWord[name]!;
  const uw = (name: string): number => map.userWord[name]!;
  /** One RAM word of per-queue-pair state. */
  const qpState = record({
    enabled: bool, server: bool, irq: bool, draining: bool, gen: u(8), epoch: u(16), sticky: u(4), port: u(16),
  });
  return module(`regs_${c.name}`, {
    req: stream.sink(L.regReq),
    resp: stream.source(L.regResp),
    count: input(counterIncrements()),
    qp_event: stream.source(L.qpEvent),
    doorbell: stream.source(L.doorbell),
    update: stream.sink(L.qpUpdate),
    dma_idle: input(bool),
    port_lookup: input(u(16)),
    port_found: output(record({ hit: bool, qp: u(w.qp) })),
    ip_addr: output(u(128)),
    tun: output(tunablesLayout(c)),
    idle: output(bool),
  }, (m, io) => {
    const ports = m.instance('ports', portMap(c));
    connect(ports.lookup, io.port_lookup);
    connect(io.port_found, ports.found);

    const stateRam = m.memory('qp_state', { layout: qpState, depth: nQp, ports: ['rw'] });
    const cfgRam = m.memory('cfg', { layout: u(32), depth: Math.max(2, nCfg), ports: ['rw'], init: map.config.map((x) => x.reset >>> 0) });
    const ctrlRam = m.memory('ctrl_page', { layout: u(32), depth: nQp * 32, ports: ['rw'] });
    const userRam = m.memory('user_page', { layout: u(32), depth: nQp * 16, ports: ['rw', 'w'] });
    const [statePort, cfgPort, ctrlPort, userHost, userEngine] = [stateRam.ports[0]!, cfgRam.ports[0]!, ctrlRam.ports[0]!, userRam.ports[0]!, userRam.ports[1]!];

    // Mirrored tunables: one register per word, reset to its default, written with the RAM.
    const mirrors = ENGINE_TUNABLES.flatMap((n) => map.config.flatMap((x, idx) => (x.name === n ? [{ idx, reg: m.reg(`mirror_${n}_${x.word}`, u(32), x.reset >>> 0), name: n, word: x.word }] : [])));
    for (const x of mirrors) io.tun[x.name].at(x.word).set(x.reg);
    const ipw = (k: number) => mirrors.find((x) => x.name === 'ip_addr' && x.word === k)!.reg;
    io.ip_addr.set(ipw(0).cat(ipw(1)).cat(ipw(2)).cat(ipw(3)));

    // ---- counters ----
    const counters = COUNTERS.map((n) => m.reg(`cnt_${n}`, u(64)));
    const snapHi = m.reg('cnt_snap_hi', u(32));
    m.seq(() => {
      COUNTERS.forEach((n, i) => counters[i]!.set(counters[i]!.add((io.count as Record<string, UInt<number>>)[n]!.zext(64))));
    });

    // ---- the host access ----
    const st = m.fsm('state', [
      'idle', 'status_read', 'status_write', 'decode', 'respond', 'enable_read', 'enable_check', 'bind', 'clear_user',
      'emit_event', 'emit_doorbell',
    ]);
    const acc = m.reg('acc', L.regReq);
    const src = m.reg('src', u(2));                       // 0 immediate, 1 config RAM, 2 control RAM, 3 user RAM
    const imm = m.reg('imm', u(32));
    const step = m.reg('step', u(5));
    const stage = m.reg('stage', vec(u(32), ENABLE_WORDS.length));
    const ev = m.reg('ev', L.qpEvent);
    const db = m.reg('db', L.doorbell);
    const { sticky: _s, ...heldFields } = qpState.fields;
    const held = m.reg('held', record(heldFields));       // the queue pair's state word being worked on (status bits are rewritten)
    const drainWait = m.reg('drain_wait', bool);
    const drainEpoch = m.reg('drain_epoch', u(16));
    const pending = m.reg('status_pending', record({ valid: bool, qp: u(w.qp), bits: u(4) }));
    const cfgReadable = m.reg('cfg_readable', bool);

    const wordAddr = m.let('word_addr', acc.addr.bits(21, 2));
    const pageWord = m.let('page_word', acc.addr.bits(11, 2));
    const pageQp = m.let('page_qp', acc.addr.bits(12 + w.qp - 1, 12) as UInt<number>);
    const reqQp = m.let('req_qp', io.req.payload.addr.bits(12 + w.qp - 1, 12) as UInt<number>);
    const inBlocks = m.let('in_blocks', acc.addr.lt(map.ctrlBase));
    const inCtrl = m.let('in_ctrl', acc.addr.ge(map.ctrlBase).and(acc.addr.lt(map.ctrlBase + nQp * map.stride)));
    const inUser = m.let('in_user', acc.addr.ge(map.userBase).and(acc.addr.lt(map.userBase + nQp * map.stride)));
    const cfgOff = m.let('cfg_off', wordAddr.sub(map.configBase));
    const inCfg = m.let('in_cfg', inBlocks.and(wordAddr.ge(map.configBase)).and(wordAddr.lt(map.configBase + nCfg)));
    const cfgIdx = m.let('cfg_idx', cfgOff.trunc(cfgAw) as UInt<number>);
    const cntOff = m.let('cnt_off', wordAddr.sub(map.counterBase));
    const inCnt = m.let('in_cnt', inBlocks.and(wordAddr.ge(map.counterBase)).and(wordAddr.lt(map.counterBase + 2 * COUNTERS.length)));
    const cntIdx = m.let('cnt_idx', cntOff.bits(clog2(COUNTERS.length), 1) as UInt<number>);
    const cntHigh = m.let('cnt_high', cntOff.bit(0));
    const mask = (f: (x: { writable: boolean; readable: boolean }) => boolean): bigint => map.config.reduce(
      (a, _x, i) => (f(map.words.get(map.configBase + i) as { writable: boolean; readable: boolean }) ? a | (1n << BigInt(i)) : a), 0n);
    const cfgWritable = m.let('cfg_writable', lit(nCfg, mask((x) => x.writable)).shr(cfgIdx).bit(0));

    // The counter addressed, and the constant words, as case statements (balanced muxes).
    const cntSel = m.wire('cnt_sel', u(64));
    const constWord = m.wire('const_word', u(32));
    m.comb(() => {
      cntSel.set(0n);
      const sw = switchOn(cntIdx);
      counters.forEach((cnt, i) => sw.is(i, () => cntSel.set(cnt)));
      constWord.set(0);
      const cs = switchOn(wordAddr);
      for (const [a, x] of map.words) if (x.kind === 'const' && x.value !== 0) cs.is(a, () => constWord.set(x.value >>> 0));
    });

    const cur = statePort.data;
    const active = (s: typeof cur): Bool => s.enabled.or(s.draining.and(s.epoch.eq(drainEpoch)));
    const statusOf = (s: typeof cur): UInt<32> => lit(27, 0).cat(s.sticky).cat(active(s)).as(32);
    const wantEnable = m.let('want_enable', acc.wdata.bit(0));
    const isAny = (pw: UInt<number>, words: readonly number[]): Bool => words.reduce<Bool>((a, x) => a.or(pw.eq(x)), lit(1, 0).asBool());
    const ctrlData = map.ctrlWritable.filter((x) => x !== cw('ctrl'));

    // Validation of a queue pair being enabled (records.ts: ENABLE).
    const sw = (name: (typeof ENABLE_WORDS)[number]): UInt<32> => stage.at(ENABLE_WORDS.indexOf(name));
    const logOk = (v: UInt<32>): Bool => v.ge(MIN_RING_LOG).and(v.le(MAX_RING_LOG));
    const aligned = (lo: UInt<32>): Bool => lo.bits(11, 0).eq(0);
    const configOk = m.let('config_ok', sw('port').ne(0).and(sw('port').le(0xffff))
      .and(logOk(sw('sq_log_size'))).and(logOk(sw('cq_log_size'))).and(logOk(sw('bret_log_size')))
      .and(sw('bpool_num_bpages').ge(MIN_REGION_BPAGES)).and(sw('bpool_num_bpages').le(c.maxRegionBpages))
      .and(aligned(sw('sq_base_lo'))).and(aligned(sw('cq_base_lo'))).and(aligned(sw('bret_base_lo')))
      .and(aligned(sw('bpool_base_lo'))).and(aligned(sw('send_base_lo'))));

    io.req.ready.set(st.is('idle').and(pending.valid.not()));
    io.idle.set(st.is('idle').and(pending.valid.not()).and(drainWait.not()));
    io.resp.valid.set(st.is('respond'));
    io.resp.payload.set(mux(src.eq(0), imm, mux(src.eq(1), mux(cfgReadable, cfgPort.data, lit(32, 0)), mux(src.eq(2), ctrlPort.data, userHost.data))));
    io.qp_event.valid.set(st.is('emit_event'));
    assign(io.qp_event.payload, ev);
    io.doorbell.valid.set(st.is('emit_doorbell'));
    assign(io.doorbell.payload, db);
    // A status_set waits for the access in progress (the state word has one port); the rest go
    // straight into the user-page RAM's second port.
    io.update.ready.set(pending.valid.not());
    ports.cmd.valid.set(st.is('bind'));
    ports.cmd.payload.bind.set(ev.kind.is('enable'));
    ports.cmd.payload.port.set(ev.port);
    ports.cmd.payload.qp.set(ev.qp);
    ports.done.ready.set(st.is('bind'));

    m.seq(() => {
      const up = io.update.payload;
      when(io.update.fire(), () => {
        const at = (name: string): UInt<number> => up.qp.cat(lit(4, uw(name))) as UInt<number>;
        switchOn(up.kind)
          .is('sq_head', () => userEngine.write(at('sq_head'), up.value))
          .is('cq_tail', () => userEngine.write(at('cq_tail'), up.value))
          .is('bret_head', () => userEngine.write(at('bret_head'), up.value))
          .is('avail_bytes', () => userEngine.write(at('bpool_avail_bytes'), up.value))
          .is('status_set', () => { pending.valid.set(true); pending.qp.set(up.qp); pending.bits.set(up.value.bits(4, 1)); });
      });

      // A drain epoch ends once every disable event of it was taken and no DMA is in flight.
      when(drainWait.and(io.dma_idle).and(st.is('idle')), () => {
        drainWait.set(false);
        drainEpoch.set(drainEpoch.add(1));
      });

      st.on({
        idle: () => {
          when(pending.valid, () => {
            statePort.read(pending.qp);
            st.goto('status_read');
          }).elsewhen(io.req.fire(), () => {
            acc.write.set(io.req.payload.write);
            acc.addr.set(io.req.payload.addr);
            acc.wdata.set(io.req.payload.wdata);
            statePort.read(reqQp);
            st.goto('decode');
          });
        },
        status_read: () => st.goto('status_write'),
        status_write: () => {
          statePort.write(pending.qp, { ...cur, sticky: cur.sticky.or(pending.bits) });
          pending.valid.set(false);
          st.goto('idle');
        },
        decode: () => {
          src.set(0);
          imm.set(0);
          cfgReadable.set(false);
          held.enabled.set(cur.enabled); held.server.set(cur.server); held.irq.set(cur.irq); held.draining.set(cur.draining);
          held.gen.set(cur.gen); held.epoch.set(cur.epoch); held.port.set(cur.port);
          st.goto('respond');
          when(inCfg, () => {
            src.set(1);
            cfgReadable.set(lit(nCfg, mask((x) => x.readable)).shr(cfgIdx).bit(0));
            when(acc.write, () => when(cfgWritable, () => {
              cfgPort.write(cfgIdx, acc.wdata);
              for (const x of mirrors) when(cfgIdx.eq(x.idx), () => x.reg.set(acc.wdata));
            })).otherwise(() => cfgPort.read(cfgIdx));
          }).elsewhen(inCnt, () => {
            when(acc.write.not(), () => {
              imm.set(mux(cntHigh, snapHi, cntSel.bits(31, 0)));
              when(cntHigh.not(), () => snapHi.set(cntSel.bits(63, 32)));
            });
          }).elsewhen(inBlocks, () => {
            imm.set(constWord);
          }).elsewhen(inCtrl, () => {
            src.set(2);
            const isCtrl = pageWord.eq(cw('ctrl'));
            when(pageWord.eq(cw('status')), () => { src.set(0); imm.set(statusOf(cur)); });
            when(isCtrl, () => { src.set(0); imm.set(mux(cur.enabled, lit(29, 0).cat(cur.irq).cat(cur.server).cat(cur.enabled).as(32), lit(32, 0))); });
            when(acc.write.not(), () => ctrlPort.read(pageQp.cat(pageWord.trunc(5)) as UInt<number>))
              .elsewhen(isCtrl, () => {
                ev.qp.set(pageQp);
                ev.server.set(acc.wdata.bit(1));
                ev.irq.set(acc.wdata.bit(2));
                ev.gen.set(cur.gen);
                ev.port.set(cur.port);
                when(cur.enabled.and(wantEnable), () => {
                  // SERVER and IRQ_ENABLE change on a running queue pair (SO_HOMA_SERVER later).
                  statePort.write(pageQp, { ...cur, server: acc.wdata.bit(1), irq: acc.wdata.bit(2) });
                  ev.kind.setTo('ctrl');
                  st.goto('emit_event');
                }).elsewhen(cur.enabled, () => {
                  statePort.write(pageQp, { ...cur, enabled: lit(1, 0).asBool(), draining: lit(1, 1).asBool(), epoch: drainEpoch });
                  ev.kind.setTo('disable');
                  st.goto('bind');
                }).elsewhen(wantEnable, () => {
                  step.set(0);
                  st.goto('enable_read');
                });
              })
              .elsewhen(isAny(pageWord, ctrlData).and(cur.enabled.not()), () => {
                ctrlPort.write(pageQp.cat(pageWord.trunc(5)) as UInt<number>, acc.wdata);
              });
          }).elsewhen(inUser, () => {
            src.set(3);
            when(pageWord.eq(uw('status')), () => { src.set(0); imm.set(statusOf(cur)); });
            when(acc.write.not(), () => userHost.read(pageQp.cat(pageWord.trunc(4)) as UInt<number>))
              .elsewhen(isAny(pageWord, map.userWritable).and(cur.enabled), () => {
                userHost.write(pageQp.cat(pageWord.trunc(4)) as UInt<number>, acc.wdata);
                db.qp.set(pageQp);
                db.value.set(acc.wdata);
                switchOn(pageWord.trunc(4) as UInt<number>)
                  .is(uw('sq_tail'), () => db.kind.setTo('sq'))
                  .is(uw('cq_head'), () => db.kind.setTo('cq'))
                  .default(() => db.kind.setTo('bret'));
                st.goto('emit_doorbell');
              });
          });
        },
        enable_read: () => {
          // One control-page word per cycle; each arrives the cycle after its read.
          const sel = m.let('enable_word', ENABLE_WORDS.reduce<UInt<number>>((a, n, i) => mux(step.eq(i), lit(5, cw(n)), a), lit(5, 0)));
          when(step.lt(ENABLE_WORDS.length), () => ctrlPort.read(ev.qp.cat(sel) as UInt<number>));
          when(step.ne(0), () => {
            for (let i = 0; i < ENABLE_WORDS.length - 1; i++) stage.at(i).set(stage.at(i + 1));
            stage.at(ENABLE_WORDS.length - 1).set(ctrlPort.data);
          });
          step.set(step.add(1));
          when(step.eq(ENABLE_WORDS.length), () => st.goto('enable_check'));
        },
        enable_check: () => {
          ev.port.set(sw('port').trunc(16));
          when(configOk.not(), () => {
            statePort.write(ev.qp, { ...held, sticky: lit(4, QpStatus.BAD_CONFIG >> 1) });
            st.goto('respond');
          }).otherwise(() => {
            ev.kind.setTo('enable');
            st.goto('bind');
          });
        },
        bind: () => when(ports.done.fire(), () => {
          when(ev.kind.is('disable'), () => st.goto('emit_event'))
            .elsewhen(ports.done.payload.ok.not(), () => {
              statePort.write(ev.qp, { ...held, sticky: lit(4, QpStatus.PORT_IN_USE >> 1) });
              st.goto('respond');
            }).otherwise(() => {
              const gen = held.gen.add(1);
              statePort.write(ev.qp, {
                enabled: lit(1, 1).asBool(), server: ev.server, irq: ev.irq, draining: lit(1, 0).asBool(), gen, epoch: held.epoch,
                sticky: lit(4, 0), port: ev.port,
              });
              ev.gen.set(gen);
              ev.sq_base.set(sw('sq_base_hi').cat(sw('sq_base_lo')).as(64));
              ev.sq_log.set(sw('sq_log_size').trunc(5));
              ev.cq_base.set(sw('cq_base_hi').cat(sw('cq_base_lo')).as(64));
              ev.cq_log.set(sw('cq_log_size').trunc(5));
              ev.bret_base.set(sw('bret_base_hi').cat(sw('bret_base_lo')).as(64));
              ev.bret_log.set(sw('bret_log_size').trunc(5));
              ev.bpool_base.set(sw('bpool_base_hi').cat(sw('bpool_base_lo')).as(64));
              ev.bpool_bpages.set(sw('bpool_num_bpages').trunc(w.bpage + 1));
              ev.send_base.set(sw('send_base_hi').cat(sw('send_base_lo')).as(64));
              ev.send_size.set(sw('send_size'));
              step.set(0);
              st.goto('clear_user');
            });
        }),
        clear_user: () => {
          // Fresh rings: every head and tail, and the free bytes, start at 0 (bpool reports them).
          const sel = USER_CLEARED.reduce<UInt<number>>((a, n, i) => mux(step.eq(i), lit(4, uw(n)), a), lit(4, 0));
          userHost.write(ev.qp.cat(sel) as UInt<number>, lit(32, 0));
          step.set(step.add(1));
          when(step.eq(USER_CLEARED.length - 1), () => st.goto('emit_event'));
        },
        emit_event: () => when(io.qp_event.fire(), () => {
          when(ev.kind.is('disable'), () => drainWait.set(true));
          st.goto('respond');
        }),
        emit_doorbell: () => when(io.doorbell.fire(), () => st.goto('respond')),
        respond: () => when(io.resp.fire(), () => st.goto('idle')),
      });
    });
  }, { config: c.name });
}
