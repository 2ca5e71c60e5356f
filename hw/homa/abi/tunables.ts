// hw/homa/abi/tunables.ts — every HomaModule sysctl (homa-protocol.md §3.9, with the
// homa_grant.c, homa_qdisc.c and homa_peer.c knobs listed there) as a NIC configuration
// register with HomaModule's default, plus the few knobs only this NIC has.
//
// `effect` says what the engine does with a knob: 'protocol' (the engine obeys it), 'status'
// (read-only value the engine reports), 'host' (a host-CPU knob with no meaning inside a NIC;
// kept so tools that set every sysctl can set it here too, and so the register map is the
// whole list), 'debug' (HomaModule debugging aids).

export type TunableAccess = 'rw' | 'ro' | 'wo';
export type TunableEffect = 'protocol' | 'status' | 'host' | 'debug';

export interface TunableSpec {
  /** Default value(s); an array for array-valued sysctls. */
  readonly def: number | readonly number[];
  readonly access: TunableAccess;
  readonly effect: TunableEffect;
  /** What it means, with the spec section. */
  readonly doc: string;
  /** 'nic' for knobs HomaModule lacks. */
  readonly origin?: 'nic';
}

export const TUNABLES = {
  accept_bits: { def: 0, access: 'rw', effect: 'debug', doc: 'test-only random packet dropping (§3.9)' },
  drop_bits: { def: 0, access: 'rw', effect: 'debug', doc: 'test-only random packet dropping (§3.9)' },
  action: { def: 0, access: 'wo', effect: 'debug', doc: 'debug actions (§3.9)' },
  bpage_lease_usecs: { def: 10000, access: 'rw', effect: 'host', doc: 'per-core bpage lease (§4); the NIC has one owner' },
  busy_usecs: { def: 100, access: 'rw', effect: 'host', doc: 'core busy window (§3.9)' },
  cutoff_version: { def: 1, access: 'ro', effect: 'status', doc: 'version of unsched_cutoffs (§3.3)' },
  dead_buffs_limit: { def: 5000, access: 'rw', effect: 'host', doc: 'dead-RPC reaping (§3.8)' },
  flags: { def: 0, access: 'rw', effect: 'protocol', doc: 'HOMA_FLAG_DONT_THROTTLE = 2 disables throttling (§2.1, §3.4)' },
  freeze_type: { def: 0, access: 'rw', effect: 'debug', doc: 'timetrace freeze (§3.9)' },
  gen3_softirq_cores: { def: 0, access: 'rw', effect: 'host', doc: 'GRO to SoftIRQ core map (§3.9)' },
  gro_busy_usecs: { def: 5, access: 'rw', effect: 'host', doc: 'GRO busy threshold (§3.9)' },
  gro_policy: { def: 0x72, access: 'rw', effect: 'host', doc: 'GRO steering (§3.8)' },
  gso_force_software: { def: 0, access: 'rw', effect: 'host', doc: 'software GSO (§3.9)' },
  hijack_tcp: { def: 0, access: 'rw', effect: 'protocol', doc: 'send as IP protocol 6 (§1.6)' },
  link_mbps: { def: 25000, access: 'rw', effect: 'protocol', doc: 'uplink speed for pacing and FIFO grants (§3.2, §3.4)' },
  max_dead_buffs: { def: 0, access: 'ro', effect: 'status', doc: 'high-water mark (§3.9)' },
  max_gro_skbs: { def: 20, access: 'rw', effect: 'host', doc: 'GRO batch (§3.8)' },
  max_gso_size: { def: 0, access: 'rw', effect: 'protocol', doc: 'TSO frame cap; 0 = one MTU (§1.4)' },
  max_sched_prio: { def: 3, access: 'ro', effect: 'status', doc: 'highest scheduled level (§3.3)' },
  next_id: { def: [0, 0], access: 'wo', effect: 'protocol', doc: 'reset the client id counter (lo, hi words) (§1.2)' },
  num_priorities: { def: 8, access: 'rw', effect: 'protocol', doc: 'priority levels used, <= 8 (§1.5)' },
  poll_usecs: { def: 50, access: 'rw', effect: 'host', doc: 'recvmsg busy-poll (§2.2)' },
  priority_map: { def: [0, 1, 2, 3, 4, 5, 6, 7], access: 'rw', effect: 'protocol', doc: 'internal level to 3-bit DSCP (§1.5)' },
  reap_limit: { def: 10, access: 'rw', effect: 'host', doc: 'skbs freed per reap (§3.8)' },
  request_ack_ticks: { def: 2, access: 'rw', effect: 'protocol', doc: 'ticks before NEED_ACK (§3.6)' },
  resend_interval: { def: 5, access: 'rw', effect: 'protocol', doc: 'ticks between RESENDs (§3.5)' },
  resend_ticks: { def: 5, access: 'rw', effect: 'protocol', doc: 'silent ticks before the first RESEND (§3.5)' },
  skb_page_frees_per_sec: { def: 1000, access: 'rw', effect: 'host', doc: 'tx page pool (§3.9)' },
  skb_page_pool_min_kb: { def: 3000, access: 'rw', effect: 'host', doc: 'tx page pool (§3.9)' },
  temp: { def: [0, 0, 0, 0], access: 'rw', effect: 'debug', doc: 'scratch (§3.9)' },
  timeout_resends: { def: 5, access: 'rw', effect: 'host', doc: 'legacy, unused by HomaModule (§3.5)' },
  timeout_ticks: { def: 100, access: 'rw', effect: 'protocol', doc: 'silent ticks before abort (§3.5)' },
  unsched_bytes: { def: 40000, access: 'rw', effect: 'protocol', doc: 'unscheduled bytes per message (§3.1)' },
  unsched_cutoffs: { def: [0, 0, 0, 0, 1000000, 15000, 2800, 200], access: 'rw', effect: 'protocol', doc: 'largest length per unscheduled level (§3.3)' },
  verbose: { def: 0, access: 'rw', effect: 'debug', doc: 'logging (§3.9)' },
  wmem_max: { def: 100000000, access: 'rw', effect: 'host', doc: 'per-socket tx memory (§2.2)' },
  fifo_grant_increment: { def: 50000, access: 'rw', effect: 'protocol', doc: 'bytes per FIFO grant (§3.2)' },
  grant_fifo_fraction: { def: 50, access: 'rw', effect: 'protocol', doc: 'per-mille of bandwidth for FIFO grants, <= 500 (§3.2)' },
  max_grantable_rpcs: { def: 0, access: 'ro', effect: 'status', doc: 'high-water mark of grantable RPCs (§3.9)' },
  max_incoming: { def: 400000, access: 'rw', effect: 'protocol', doc: 'cap on granted-but-unreceived bytes (§3.2)' },
  max_overcommit: { def: 8, access: 'rw', effect: 'protocol', doc: 'active grant set size, <= 8 (§3.2)' },
  window: { def: 0, access: 'rw', effect: 'protocol', doc: 'fixed grant window; 0 = max_incoming/(active+1) (§3.2)' },
  max_nic_est_backlog_usecs: { def: 5, access: 'rw', effect: 'protocol', doc: 'allowed NIC queue estimate (§3.4)' },
  max_nic_queue_usecs: { def: 40, access: 'rw', effect: 'host', doc: 'qdisc DQL cap (§3.4)' },
  pacer_fifo_fraction: { def: 50, access: 'rw', effect: 'protocol', doc: 'per-mille of transmit picks that go to the oldest message (§3.4)' },
  defer_min_bytes: { def: 1000, access: 'rw', effect: 'protocol', doc: 'messages with fewer bytes left bypass the pacer (§3.4)' },
  homa_share: { def: 50, access: 'rw', effect: 'host', doc: 'Homa vs TCP split in the qdisc (§3.4)' },
  max_link_usage: { def: 99, access: 'rw', effect: 'protocol', doc: 'percent of link_mbps used, 5..100 (§3.4)' },
  peer_gc_threshold: { def: 5000, access: 'rw', effect: 'host', doc: 'peer table GC (§3.8)' },
  peer_idle_secs_min: { def: 10, access: 'rw', effect: 'host', doc: 'peer table GC (§3.8)' },
  peer_idle_secs_max: { def: 120, access: 'rw', effect: 'host', doc: 'peer table GC (§3.8)' },
  peer_net_max: { def: 10000, access: 'rw', effect: 'host', doc: 'peer table GC (§3.8)' },
  // Knobs HomaModule does not have.
  incast_threshold: { def: 0, access: 'rw', effect: 'protocol', origin: 'nic', doc: 'outstanding client RPCs above which requests ask for small unscheduled responses; 0 = off (SIGCOMM 2018 §3.6)' },
  incast_unsched_bytes: { def: 1000, access: 'rw', effect: 'protocol', origin: 'nic', doc: 'unscheduled bytes of a response to an incast-marked request' },
  mtu: { def: 1500, access: 'rw', effect: 'protocol', origin: 'nic', doc: 'IP MTU; DATA payload = mtu - IP header - 56 (§1.4)' },
  tick_usecs: { def: 1000, access: 'rw', effect: 'protocol', origin: 'nic', doc: 'timer tick (HomaModule: 1 ms hrtimer) (§3.5)' },
  ip_addr: { def: [0, 0, 0, 0], access: 'rw', effect: 'protocol', origin: 'nic', doc: 'this NIC\'s IP address, 16 bytes (IPv4 as ::ffff:a.b.c.d, §1.1): word i holds bytes 4i..4i+3, byte 4i in bits 31..24; frames to other addresses are dropped' },
  mac_addr: { def: [0, 0], access: 'rw', effect: 'protocol', origin: 'nic', doc: 'this NIC\'s Ethernet address: word 0 its low 32 bits, word 1 its high 16 bits' },
} as const satisfies Record<string, TunableSpec>;

export type TunableName = keyof typeof TUNABLES;
type ArrayNames = { [K in TunableName]: (typeof TUNABLES)[K]['def'] extends readonly number[] ? K : never }[TunableName];
/** A value for every tunable: numbers, arrays for the array-valued ones. */
export type Tunables = { [K in TunableName]: K extends ArrayNames ? number[] : number };

/** HomaModule's defaults (fresh arrays, safe to mutate). */
export function defaultTunables(): Tunables {
  const out: Record<string, number | number[]> = {};
  for (const [k, t] of Object.entries(TUNABLES) as [string, TunableSpec][]) {
    out[k] = typeof t.def === 'number' ? t.def : [...t.def];
  }
  return out as Tunables;
}

/** Number of 32-bit registers a tunable occupies. */
export function tunableWords(t: TunableSpec): number {
  return typeof t.def === 'number' ? 1 : t.def.length;
}
