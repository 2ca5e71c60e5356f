// hw/homa/bpages.ts — a queue pair's receive region of 64 KiB bpages (spec §4): the one
// reference for the pool's rules. The reference model (sim/model) uses it as it is; the engine's
// bpool block (engine/bpool.ts) must give the same answers, call for call.
//
// A message of length L takes floor(L / 64 KiB) whole bpages plus, for the remainder, space
// carved from the bpage the pool currently owns, so small messages share bpages and every
// returned offset but the last is 64 KiB aligned (§4). HomaModule has an owned page per core;
// the NIC has one owner, so there is one owned page and no lease (bpage_lease_usecs has no
// effect). Each bpage counts references: one per message piece in it; the owner's reference
// is implicit in `owned`. A page is free when its count is 0 and the pool doesn't own it.

import { BPAGE_SHIFT, BPAGE_SIZE } from './abi.ts';

export { BPAGE_SHIFT, BPAGE_SIZE };

export class BpagePool {
  readonly numBpages: number;
  private readonly refs: Int32Array;
  /**
   * Free pages, lowest numbers used first (keeps the footprint small, as §4 intends): every
   * page from `fresh` up (never used yet), and below it the pages returned, in `returned`
   * sorted descending. Nothing is listed per page until it has been used.
   */
  private readonly returned: number[] = [];
  private fresh = 0;
  private owned = -1;
  private ownedUsed = 0;
  /** Pages with at least one message piece in them. */
  private inUse = 0;

  constructor(numBpages: number) {
    this.numBpages = numBpages;
    this.refs = new Int32Array(numBpages);
  }

  private get freeCount(): number { return this.returned.length + this.numBpages - this.fresh; }

  /** Pages needed for a message of `length`, counting a fresh page for the tail if needed. */
  private pagesNeeded(length: number): number {
    const whole = length >>> BPAGE_SHIFT;
    const tail = length & (BPAGE_SIZE - 1);
    if (tail === 0) return whole;
    const tailFits = this.owned >= 0 && (this.ownedUsed + tail <= BPAGE_SIZE || this.refs[this.owned] === 0);
    return whole + (tailFits ? 0 : 1);
  }

  /** Bpage offsets for a message of `length`, or null if the pool can't hold it now (§4). */
  allocate(length: number): number[] | null {
    if (this.pagesNeeded(length) > this.freeCount) return null;
    const whole = length >>> BPAGE_SHIFT;
    const tail = length & (BPAGE_SIZE - 1);
    const out: number[] = [];
    for (let i = 0; i < whole; i++) {
      const p = this.takeFree();
      this.ref(p);
      out.push(p << BPAGE_SHIFT);
    }
    if (tail > 0) {
      if (this.owned >= 0 && this.ownedUsed + tail > BPAGE_SIZE) {
        if (this.refs[this.owned] === 0) this.ownedUsed = 0;       // only the owner left: reuse from 0
        else { this.owned = -1; }                                   // give it up; it frees with its last piece
      }
      if (this.owned < 0) { this.owned = this.takeFree(); this.ownedUsed = 0; }
      this.ref(this.owned);
      out.push((this.owned << BPAGE_SHIFT) + this.ownedUsed);
      this.ownedUsed += tail;
    }
    return out;
  }

  private takeFree(): number {
    // Lowest-numbered free page: a returned page (all are below `fresh`; the list is sorted
    // descending, so pop gives the lowest), else the first never used.
    return this.returned.length > 0 ? this.returned.pop()! : this.fresh++;
  }
  private ref(p: number): void {
    if (this.refs[p]++ === 0) this.inUse++;
  }

  /** Return one offset handed out by allocate. False if that page holds nothing (double free). */
  release(offset: number): boolean {
    const p = offset >>> BPAGE_SHIFT;
    if (p >= this.numBpages || offset < 0 || this.refs[p]! <= 0) return false;
    if (--this.refs[p]! === 0) {
      this.inUse--;
      if (p === this.owned) this.ownedUsed = 0;
      else this.putFree(p);
    }
    return true;
  }
  private putFree(p: number): void {
    // Insert keeping descending order (pages return in any order; lists are short).
    const f = this.returned;
    let i = f.length;
    f.push(p);
    while (i > 0 && f[i - 1]! < p) { f[i] = f[i - 1]!; i--; }
    f[i] = p;
  }

  /** Pages holding at least one message piece (0 after every offset was returned). */
  get bpagesInUse(): number { return this.inUse; }
  /** HOMAIOCINFO.bpool_avail_bytes: free pages plus unused space in the owned page (§2.1). */
  get availBytes(): number {
    const ownedFree = this.owned >= 0 ? (this.refs[this.owned] === 0 ? BPAGE_SIZE : BPAGE_SIZE - this.ownedUsed) : 0;
    return this.freeCount * BPAGE_SIZE + ownedFree;
  }
}
