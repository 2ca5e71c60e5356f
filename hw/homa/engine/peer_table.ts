// hw/homa/engine/peer_table.ts — the engine's peers: a source address (IPv6 form, spec §1.1)
// to a peer index, the peer created on first sight as HomaModule's homa_peer_find does (§3.8).
//
// A hash table in block RAM (hw/lib hashTable: H3 hash, `peerWays` ways per bucket); the
// index is the entry's position, so it never changes while the peer is known, and per-peer
// records (cutoffs, the ack buffer: later issues) are RAMs indexed by it. `full` says a new
// peer found its bucket full: the packet is dropped (counter peer_table_full). Peers are not
// forgotten yet (HomaModule's peer GC, §3.9 peer_gc_threshold, is future work).

import { bool, module, record, stream, u } from '../../hdl/index.ts';
import { hashTable } from '../../lib/hash_table.ts';
import { engineWidths, type EngineConfig } from './config.ts';

export function peerTable(c: EngineConfig) {
  const w = engineWidths(c);
  return module(`peer_table_${c.name}`, {
    req: stream.sink(record({ addr: u(128) })),
    resp: stream.source(record({ peer: u(w.peer), full: bool })),
  }, (m, io) => {
    const table = m.instance('table', hashTable({ buckets: c.peerBuckets, ways: c.peerWays, keyWidth: 128, valueWidth: 1 }));
    table.req.valid.set(io.req.valid);
    table.req.payload.op.setTo('find_or_insert');
    table.req.payload.key.set(io.req.payload.addr);
    table.req.payload.value.set(0);
    io.req.ready.set(table.req.ready);
    io.resp.valid.set(table.resp.valid);
    io.resp.payload.peer.set(table.resp.payload.index);
    io.resp.payload.full.set(table.resp.payload.full);
    table.resp.ready.set(io.resp.ready);
  }, { config: c.name });
}
