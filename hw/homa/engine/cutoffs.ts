// hw/homa/engine/cutoffs.ts — our unscheduled cutoffs to senders that have stale ones (spec
// §3.3): a DATA packet whose cutoff_version is not ours makes us send CUTOFFS to its sender,
// at most once per tick per peer (HomaModule's rate limit; the model's maybeSendCutoffs).
// The CUTOFFS go from our port to the sender's port with sender_id 0; ctl_tx fills in the
// cutoffs and version from the registers.
//
// One packet at a time: the peer's last CUTOFFS tick is read (a RAM word per peer-table
// entry), then written with this tick when a CUTOFFS goes out.

import { assign, bool, input, module, output, record, stream, True, u, when } from '../../hdl/index.ts';
import { regFifo } from '../../lib/fifo.ts';
import { HomaType } from '../wire/index.ts';
import { peerEntries, type EngineConfig } from './config.ts';
import { ctlRequest } from './ctl_tx.ts';
import { grantEventLayout } from './grant_sched.ts';

export function cutoffsTx(c: EngineConfig) {
  const ev = grantEventLayout(c);
  return module(`cutoffs_${c.name}`, {
    ev: stream.sink(ev),
    /** Our cutoff_version (config register). */
    version: input(u(16)),
    jiffy: input(u(16)),
    req: stream.source(ctlRequest),
    idle: output(bool),
  }, (m, io) => {
    const q = m.instance('events', regFifo(ev, 4));
    assign(q.in.payload, io.ev.payload);
    q.in.valid.set(io.ev.valid);
    io.ev.ready.set(q.in.ready);
    const last = m.memory('last_tick', { layout: record({ sent: bool, jiffy: u(16) }), depth: peerEntries(c), ports: ['w', 'r'] });
    const [lastW, lastR] = [last.ports[0]!, last.ports[1]!];
    const st = m.fsm('state', ['idle', 'check', 'send']);
    const dest = record({ peer: ev.fields.peer, ipv6: bool, saddr: ev.fields.saddr, smac: ev.fields.smac, sport: u(16), dport: u(16) });
    const e = m.reg('e', dest);
    const head = q.out.payload;
    const stale = head.cutoff_version.ne(io.version).and(head.gone.not());
    q.out.ready.set(st.is('idle'));
    const r = io.req.payload;
    io.req.valid.set(st.is('send'));
    r.type.set(HomaType.CUTOFFS);
    r.ipv6.set(e.ipv6);
    r.daddr.set(e.saddr);
    r.dmac.set(e.smac);
    r.sport.set(e.dport);
    r.dport.set(e.sport);
    r.sender_id.set(0n);
    r.offset.set(0);
    r.length.set(0);
    r.priority.set(0);
    io.idle.set(st.is('idle').and(q.count.eq(0)));
    m.seq(() => {
      when(st.is('idle').and(q.out.valid).and(stale), () => { assign(e, { peer: head.peer, ipv6: head.ipv6, saddr: head.saddr, smac: head.smac, sport: head.sport, dport: head.dport }); lastR.read(head.peer); st.goto('check'); });
      when(st.is('check'), () => {
        const seen = lastR.data;
        when(seen.sent.and(seen.jiffy.eq(io.jiffy)), () => st.goto('idle')).otherwise(() => {
          lastW.write(e.peer, { sent: True, jiffy: io.jiffy });
          st.goto('send');
        });
      });
      when(st.is('send').and(io.req.ready), () => st.goto('idle'));
    });
  }, { config: c.name });
}
