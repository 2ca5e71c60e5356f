// sim/model/timers.ts — the 1 ms tick (spec §3.5, §3.6): silent-tick counting, RESENDs,
// timeouts, and NEED_ACK for server RPCs whose response has gone out.

import { HomaType } from '../../hw/homa/wire/index.ts';
import type { ModelNic } from './nic.ts';
import { BufState, RpcState } from './rpc.ts';
import type { Rpc } from './rpc.ts';
import { ETIMEDOUT } from './types.ts';

/** Is the RPC waiting for nothing from its peer right now (silent_ticks held at 0, §3.5)? */
function nothingExpected(rpc: Rpc): boolean {
  if (rpc.sendSlot >= 0) return true;                                   // we still have granted bytes to send
  if (rpc.bufState === BufState.WAITING) return true;                   // waiting for bpages (§4)
  if (!rpc.isClient && rpc.state !== RpcState.INCOMING) return true;   // server has the request / in service
  // Everything we granted has arrived: the next move is our own grant (§3.5).
  return rpc.inLength >= 0 && rpc.hasAllBelow(rpc.inGranted);
}

export function tick(nic: ModelNic): void {
  const cfg = nic.cfg;
  nic.ticks++;
  for (const rpc of nic.rpcs) {
    if (rpc.state === RpcState.DEAD) continue;
    // Server with its whole response on the wire: NEED_ACK after request_ack_ticks, then every tick (§3.6).
    if (!rpc.isClient && rpc.doneTicks >= 0) {
      rpc.doneTicks++;
      if (rpc.doneTicks >= cfg.request_ack_ticks) nic.sendBare(rpc, HomaType.NEED_ACK);
      continue;
    }
    if (nothingExpected(rpc)) { rpc.silentTicks = 0; continue; }
    rpc.silentTicks++;
    if (rpc.silentTicks >= cfg.timeout_ticks) {
      nic.counters['rpc_timeouts']!++;
      if (rpc.isClient) nic.failClientRpc(rpc, ETIMEDOUT);             // §3.5: ETIMEDOUT
      else { nic.counters['server_rpc_discards']!++; nic.freeRpc(rpc); } // still receiving: discard
      continue;
    }
    const over = rpc.silentTicks - cfg.resend_ticks;
    if (over >= 0 && over % cfg.resend_interval === 0) nic.receiver.sendResends(rpc);
  }
}
