import { expect, test } from 'vitest';
import { CompletionType, SendFlag, SendOpcode, defaultTunables } from '../abi.ts';
import { bench, engines, Rng } from '../../lib/testing.ts';
import type { Beat } from '../../hdl/sim/index.ts';
import { ENGINE_CONFIGS, rpcSlots, type EngineConfig } from './config.ts';
import { ENGINE_TUNABLES } from './regs.ts';
import { txRpc } from './tx_rpc.ts';
import { qpEventKind } from './types.ts';

// tx_rpc against a reference written from its contract (the model's behaviour, spec §2.2,
// §3.3): descriptors whose RPC rx_dispatch found or entered go in; out come the messages for
// tx_sched (length, unscheduled bytes, payload per packet), ACCEPTED / ENOMEM / TX_DONE
// completions for what is not sent, GRANTs passed on; then packets handed out by tx_sched
// come back as DATA requests whose every field is the reference's (addresses and the neighbour
// MAC, ports, id, host address of the payload, unscheduled level from the peer's CUTOFFS or the
// defaults, the GRANT's level for scheduled bytes), and each response's last frame out says its
// server RPC has responded (with the length and NOTIFY_TX_DONE that rx_data posts TX_DONE with
// at the ACK). Random descriptors, peers, IP versions, grants and back-pressure.

const INT_MAX = 0x7fffffff;
const SEND_BASE = 0x1234_5000_0000n;
const PORT = 4000;
const QP = 3;

function tunWords(over: Record<string, number[]>): Record<string, bigint> {
  const t = { ...defaultTunables() } as Record<string, number | number[]>;
  const words = (n: string): number[] => (over[n] ?? (Array.isArray(t[n]) ? t[n] as number[] : [t[n] as number]));
  return Object.fromEntries(ENGINE_TUNABLES.map((n) => [n, words(n).reduceRight((a, w) => (a << 32n) | BigInt(w >>> 0), 0n)]));
}

interface Desc { opcode: number; flags: number; ok: boolean; slot: number; peer: number; ipv6: boolean; addr: bigint; dport: number; length: number; send_offset: number; id: bigint; cookie: bigint }

function unschedLevel(cut: number[] | undefined, length: number, nprio: number): number {
  const c = cut ? cut.map((x, i) => (i === 0 ? INT_MAX : x)) : [INT_MAX, 0, 0, 0, 0, 0, INT_MAX, 0];
  for (let i = nprio - 1; i >= 0; i--) if (c[i]! >= length) return i;
  return 0;
}

async function flow(c: EngineConfig, engine: string, seed: number): Promise<void> {
  const { sim, tb } = await bench(txRpc(c), engine);
  const rng = new Rng(seed);
  const nprio = rng.chance(0.5) ? 8 : rng.range(4, 7);
  const unsched = rng.range(1000, 60000);
  const mtu = rng.chance(0.5) ? 1500 : rng.range(600, 1499);
  for (const [k, v] of Object.entries(tunWords({ num_priorities: [nprio], unsched_bytes: [unsched], mtu: [mtu] }))) tb.set(`tun.${k}`, v);
  const events = tb.driver('qp_event');
  events.push({
    kind: Number(qpEventKind.values.enable), qp: QP, gen: 1, server: 0, irq: 0, port: PORT, sq_base: 0n, sq_log: 4, cq_base: 0n, cq_log: 4,
    bret_base: 0n, bret_log: 4, bpool_base: 0n, bpool_bpages: 0, send_base: SEND_BASE, send_size: 1 << 24,
  });
  // Peer 5 sent CUTOFFS (entry 0 is taken as INT_MAX whatever it says); peer 6 did not.
  const cut5 = [rng.range(0, 9), 0, 0, rng.range(100000, 900000), rng.range(20000, 99999), rng.range(3000, 19999), rng.range(300, 2999), rng.range(1, 299)];
  const version5 = rng.range(1, 60000);
  tb.driver('cutoffs').push({ peer: 5, cutoffs: cut5.reduceRight((a, w) => (a << 32n) | BigInt(w), 0n), version: version5 });
  await tb.tick(4);

  // ---- descriptors ----
  const n = 60;
  const descs: Desc[] = [];
  const usedSlots = new Set<number>();
  for (let i = 0; i < n; i++) {
    const opcode = [SendOpcode.REQUEST, SendOpcode.REQUEST, SendOpcode.REPLY, SendOpcode.ABORT][rng.range(0, 3)]!;
    const ipv6 = rng.chance(0.3);
    const host = rng.range(1, 250);
    const addr = ipv6 ? (0xfd00n << 112n) | BigInt(host) : 0xffff_0a00_0000n | BigInt(host);
    let slot = rng.range(0, rpcSlots(c) - 1);
    while (usedSlots.has(slot)) slot = rng.range(0, rpcSlots(c) - 1);
    const ok = rng.chance(0.8);
    if (ok && opcode !== SendOpcode.ABORT) usedSlots.add(slot);
    const length = rng.chance(0.3) ? rng.range(1, 3000) : rng.range(1, 1_000_000);
    descs.push({
      opcode, flags: rng.int(8), ok, slot, peer: rng.chance(0.5) ? 5 : 6, ipv6, addr, dport: rng.range(1, 65535), length,
      send_offset: rng.range(0, 1 << 23), id: opcode === SendOpcode.REQUEST ? BigInt(2 + 2 * i) : BigInt(rng.range(0, 1 << 30) * 2 + 1), cookie: BigInt(rng.range(1, 1 << 30)),
    });
  }
  const found = tb.driver('found', { validProbability: 0.6, seed: seed + 1 });
  found.push(...descs.map((d): Beat => ({
    'desc.qp': QP, 'desc.gen': 1, 'desc.opcode': d.opcode, 'desc.flags': d.flags, 'desc.dport': d.dport, 'desc.length': d.length,
    'desc.send_offset': d.send_offset, 'desc.error': 0, 'desc.id': d.id, 'desc.cookie': d.cookie, 'desc.peer_addr': d.addr,
    ok: d.ok ? 1 : 0, full: d.ok ? 0 : 1, slot: d.slot, peer: d.peer,
  })));
  const adds = tb.monitor('add', { readyProbability: 0.5, seed: seed + 2 });
  const refused = tb.monitor('cq_refused', { readyProbability: 0.5, seed: seed + 3 });
  const sends = descs.filter((d) => d.ok && (d.opcode === SendOpcode.REQUEST || d.opcode === SendOpcode.REPLY));
  const wantRefused = descs.flatMap((d): Record<string, number | bigint>[] => {
    const base = { qp: QP, gen: 1, id: d.id, cookie: d.cookie, peer_addr: d.addr, peer_port: d.dport, num_bpages: 0 };
    if (d.ok && d.opcode === SendOpcode.REQUEST && d.flags & SendFlag.NOTIFY_ID) return [{ ...base, type: CompletionType.ACCEPTED, length: 0, error: 0 }];
    if (!d.ok && d.opcode === SendOpcode.REQUEST) return [{ ...base, type: CompletionType.ERROR, length: 0, error: 12 }];
    if (!d.ok && d.opcode === SendOpcode.REPLY && d.flags & SendFlag.NOTIFY_TX_DONE) return [{ ...base, type: CompletionType.TX_DONE, length: d.length, error: 0 }];
    return [];
  });
  await tb.until(() => adds.received.length === sends.length && refused.received.length === wantRefused.length, { timeout: 40 * n });
  await tb.tick(20);
  const pick = (b: Beat, keys: string[]) => Object.fromEntries(keys.map((k) => [k, BigInt((b as Record<string, bigint | number>)[k]!)]));
  const big = (o: Record<string, number | bigint>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, BigInt(v as number | bigint)]));
  expect(adds.received.map((b) => pick(b, ['msg', 'length', 'unscheduled', 'maxp']))).toEqual(sends.map((d) => big({
    msg: d.slot, length: d.length, unscheduled: Math.min(unsched, d.length), maxp: mtu - (d.ipv6 ? 40 : 20) - 56,
  })));
  expect(refused.received.map((b) => pick(b, Object.keys(wantRefused[0] ?? {})))).toEqual(wantRefused.map(big));

  // ---- GRANTs for some messages: passed on, their level kept for scheduled packets ----
  const granted = new Map<number, number>();
  const grantsIn = sends.filter(() => rng.chance(0.5)).map((d) => { const priority = rng.range(0, 7); granted.set(d.slot, priority); return { slot: d.slot, offset: rng.range(0, 2_000_000), priority }; });
  tb.driver('grant_in', { validProbability: 0.7, seed: seed + 4 }).push(...grantsIn);
  const grantsOut = tb.monitor('grant', { readyProbability: 0.6, seed: seed + 5 });
  await tb.until(() => grantsOut.received.length === grantsIn.length, { timeout: 40 * grantsIn.length + 100 });
  expect(grantsOut.received.map((b) => pick(b, ['msg', 'offset']))).toEqual(grantsIn.map((g) => big({ msg: g.slot, offset: g.offset })));

  // ---- packets: each joined with its message's record; a response's last frame out says so ----
  const pkts: { d: Desc; offset: number; length: number; unscheduled: boolean; last: boolean }[] = [];
  for (let k = 0; k < 150; k++) {
    const d = sends[rng.range(0, sends.length - 1)]!;
    const offset = rng.range(0, d.length - 1);
    const length = Math.min(d.length - offset, rng.range(1, 1424));
    pkts.push({ d, offset, length, unscheduled: rng.chance(0.5), last: offset + length >= d.length });
  }
  tb.driver('pkt', { validProbability: 0.7, seed: seed + 6 }).push(...pkts.map((p) => ({
    msg: p.d.slot, offset: p.offset, length: p.length, unscheduled: p.unscheduled ? 1 : 0, incoming: Math.min(unsched, p.d.length), last: p.last ? 1 : 0, fifo: 0,
  })));
  const builds = tb.monitor('build', { readyProbability: 0.5, seed: seed + 7 });
  const freed = tb.monitor('free', { readyProbability: 0.5, seed: seed + 9 });
  // The MAC side: each DATA request leaves as a frame a few cycles later, in order.
  const sentPort = sim.port('sent');
  let framesOwed = 0, taken = 0;
  sim.onCycle(() => {
    while (taken < builds.received.length) { taken++; framesOwed++; }
    const pulse = framesOwed > 0 && rng.chance(0.4);
    if (pulse) framesOwed--;
    sentPort.set(pulse ? 1 : 0);
  });
  // A server RPC (our id odd) has responded once its response's last packet is out (its TX_DONE
  // waits for the client's ACK, in rx_data).
  const wantFree = pkts.filter((p) => p.last && p.d.id % 2n === 1n);
  await tb.until(() => builds.received.length === pkts.length && framesOwed === 0
    && freed.received.length === wantFree.length, { timeout: 40 * pkts.length });
  await tb.tick(20);
  expect(builds.received.length).toBe(pkts.length);
  const keys = ['qp', 'ipv6', 'daddr', 'dmac', 'sport', 'dport', 'sender_id', 'message_length', 'offset', 'length', 'incoming', 'cutoff_version', 'retransmit', 'priority', 'addr'];
  expect(builds.received.map((b) => pick(b, keys))).toEqual(pkts.map((p) => big({
    qp: QP, ipv6: p.d.ipv6 ? 1 : 0, daddr: p.d.addr, dmac: (0x0200n << 32n) | (p.d.addr & 0xffff_ffffn), sport: PORT, dport: p.d.dport, sender_id: p.d.id,
    message_length: p.d.length, offset: p.offset, length: p.length, incoming: Math.min(unsched, p.d.length),
    cutoff_version: p.d.peer === 5 ? version5 : 0, retransmit: 0,
    priority: p.unscheduled ? unschedLevel(p.d.peer === 5 ? cut5 : undefined, p.d.length, nprio) : granted.get(p.d.slot) ?? 0,
    addr: SEND_BASE + BigInt(p.d.send_offset + p.offset),
  })));
  expect(freed.received.map((b) => pick(b, ['addr', 'id', 'responded', 'acked', 'tx_length', 'tx_notify']))).toEqual(wantFree.map((p) => big({
    addr: p.d.addr, id: p.d.id, responded: 1, acked: 0, tx_length: p.d.length, tx_notify: p.d.flags & SendFlag.NOTIFY_TX_DONE ? 1 : 0,
  })));
  // The stimulus reached what it is meant to.
  expect(wantRefused.length).toBeGreaterThan(5);
  expect(wantFree.filter((p) => p.d.flags & SendFlag.NOTIFY_TX_DONE).length).toBeGreaterThan(0);
  expect(wantFree.length).toBeGreaterThan(0);
  expect(new Set(pkts.filter((p) => p.unscheduled && p.d.peer === 5).map((p) => unschedLevel(cut5, p.d.length, nprio))).size).toBeGreaterThan(1);
  sim.dispose();
}

for (const engine of engines) {
  for (const name of ['u250', 'arty', 'ice40'] as const) {
    test(`tx_rpc (${name}) enters messages, refuses, passes GRANTs and joins packets with their records as the reference does (${engine})`, async () => {
      await flow(ENGINE_CONFIGS[name], engine, 7 + name.length);
    });
  }
}
