// hw/homa/engine/blocks.ts — every block of the engine alone, by name, for the per-block
// synthesis bench (bench/engine-synth.bench.ts) and anything else that looks at one block.

import type { ModuleDef } from '../../hdl/index.ts';
import type { IoSpec } from '../../hdl/ports.ts';
import { bpool } from './bpool.ts';
import { bwait } from './bwait.ts';
import { bretFetch } from './bret_fetch.ts';
import { completion } from './completion.ts';
import type { EngineConfig } from './config.ts';
import { ctlTx } from './ctl_tx.ts';
import { cutoffsTx } from './cutoffs.ts';
import { dmaReadMux } from './dma_read_mux.ts';
import { dmaWriteMux } from './dma_write_mux.ts';
import { grantSched } from './grant_sched.ts';
import { grantWindow } from './grant_window.ts';
import { engineRegs } from './regs.ts';
import { rxData } from './rx_data.ts';
import { rxDispatch } from './rx_dispatch.ts';
import { rxDma } from './rx_dma.ts';
import { rxParser } from './rx_parser.ts';
import { sqFetch } from './sq_fetch.ts';
import { engineTick } from './tick.ts';
import { rpcTimer } from './rpc_timer.ts';
import { txBuilder } from './tx_builder.ts';
import { txRpc } from './tx_rpc.ts';
import { frameArbiter } from '../../lib/frame_arbiter.ts';
import { beat } from '../../lib/beat.ts';
import { txSched } from './tx_sched.ts';

export function engineBlocks(c: EngineConfig): Record<string, ModuleDef<IoSpec>> {
  return {
    regs: engineRegs(c), rx_parser: rxParser(c), rx_dispatch: rxDispatch(c), rx_data: rxData(c), bpool: bpool(c), bret_fetch: bretFetch(c),
    rx_dma: rxDma(c), completion: completion(c), dma_write_mux: dmaWriteMux(c, 2), grant_sched: grantSched(c), cutoffs: cutoffsTx(c),
    ctl_tx: ctlTx(c), tick: engineTick(c), rpc_timer: rpcTimer(c), bwait: bwait(c), grant_window: grantWindow(c),
    sq_fetch: sqFetch(c), dma_read_mux: dmaReadMux(c), tx_sched: txSched(c), tx_builder: txBuilder(c), tx_rpc: txRpc(c),
    mac_tx: frameArbiter(beat(c.beatBytes), 2),
  } as Record<string, ModuleDef<IoSpec>>;
}
