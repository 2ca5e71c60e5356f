// hw/homa/engine/rpc_table.ts — RPCs by (peer, id): the slot an RPC's state lives at.
//
// HomaModule keys a server RPC by (client address, id, client port) and a client RPC by id
// (spec §1.2); ids are unique per client host, so (peer index, local id) names every RPC, the
// id's low bit telling the role (even: we are the client). A hash table in block RAM (hw/lib
// hashTable); the slot is the entry's position, stable while the RPC lives, and every per-RPC
// record (message state, bpages, later timers and grants) is a RAM indexed by it.
//   lookup          found = the RPC exists (slot)
//   find_or_insert  found = it existed; else created (slot), or full (server_cant_create_rpcs)
//   remove          the RPC is gone (its end, a timeout, a tombstone's expiry)
//   update          a live entry's flag written (absent: nothing written)
// Each entry holds one flag, `tomb`: a server RPC its client has acknowledged (spec §3.6),
// kept until timeout_ticks have passed so a late duplicate of its request is dropped, not run
// again. Answers carry the entry's flag (for update, the flag it had before).

import { bool, module, record, stream, u } from '../../hdl/index.ts';
import { hashTable, hashOp } from '../../lib/hash_table.ts';
import { engineWidths, type EngineConfig } from './config.ts';

export function rpcTable(c: EngineConfig) {
  const w = engineWidths(c);
  return module(`rpc_table_${c.name}`, {
    req: stream.sink(record({ op: hashOp, peer: u(w.peer), id: u(64), tomb: bool })),
    resp: stream.source(record({ found: bool, full: bool, slot: u(w.rpcSlot), tomb: bool })),
  }, (m, io) => {
    const table = m.instance('table', hashTable({ buckets: c.rpcBuckets, ways: c.rpcWays, keyWidth: w.peer + 64, valueWidth: 1 }));
    table.req.valid.set(io.req.valid);
    table.req.payload.op.set(io.req.payload.op);
    table.req.payload.key.set(io.req.payload.peer.cat(io.req.payload.id));
    table.req.payload.value.set(io.req.payload.tomb.asUInt());
    io.req.ready.set(table.req.ready);
    io.resp.valid.set(table.resp.valid);
    io.resp.payload.found.set(table.resp.payload.found);
    io.resp.payload.full.set(table.resp.payload.full);
    io.resp.payload.slot.set(table.resp.payload.index);
    io.resp.payload.tomb.set(table.resp.payload.value.bit(0));
    table.resp.ready.set(io.resp.ready);
  }, { config: c.name });
}
