// sim/net/events.ts — the discrete-event core. Time is integer picoseconds in a JS number.
//
// Events live in preallocated slots (typed arrays) and a binary heap orders slot indices by
// (time, seq); seq is the scheduling order, so two events at the same time always run in
// the order they were scheduled and a run is deterministic. Hot-path events name a handler
// object and a small integer kind instead of allocating a closure.
//
// Events scheduled for the current time (a link's pull, a zero-delay hand-off) skip the heap:
// they go to a FIFO ring. Every heap entry at the current time was scheduled before time
// reached it, so it has a smaller seq than anything in the ring; the ring's entries are in
// seq order among themselves. Taking heap entries at `now` first, then the ring, then the
// heap keeps the exact (time, seq) order at no heap cost for these events.

/** An object that receives typed events (links, switches). */
export interface EventHandler {
  handleEvent(kind: number, frame: Uint8Array | null, arg: number, arg2: number): void;
}

/** A cancellable timer returned by `Simulator.at`. */
export class Timer {
  constructor(
    readonly id: number,
    /** Slot index while pending; -1 once fired or cancelled. */
    public slot: number,
  ) {}
}

const CLOSURE = -1;

export class Simulator {
  private timeNow = 0;
  private nextSeq = 0;
  private processed = 0;
  private stopRequested = false;

  // Slot storage; index 0.. capacity-1. Free slots are a stack.
  private capacity: number;
  private slotTime: Float64Array;
  private slotSeq: Float64Array;
  private slotKind: Int32Array;
  private slotArg: Float64Array;
  private slotArg2: Float64Array;
  private slotHandler: (EventHandler | null)[];
  private slotFrame: (Uint8Array | null)[];
  private slotFn: ((() => void) | null)[];
  private slotTimer: (Timer | null)[];
  private freeSlots: Int32Array;
  private freeCount: number;
  // Heap of slot indices, with each entry's (time, seq) key copied alongside so comparisons
  // read contiguous memory instead of chasing slot indices.
  private heap: Int32Array;
  private heapTime: Float64Array;
  private heapSeq: Float64Array;
  private heapSize = 0;
  // Ring of slots scheduled at the current time, in seq order.
  private ring: Int32Array;
  private ringHead = 0;
  private ringSize = 0;

  constructor(initialCapacity = 1 << 14) {
    initialCapacity = 2 ** Math.ceil(Math.log2(Math.max(2, initialCapacity)));   // the ring needs a power of two
    this.capacity = initialCapacity;
    this.slotTime = new Float64Array(initialCapacity);
    this.slotSeq = new Float64Array(initialCapacity);
    this.slotKind = new Int32Array(initialCapacity);
    this.slotArg = new Float64Array(initialCapacity);
    this.slotArg2 = new Float64Array(initialCapacity);
    this.slotHandler = new Array<EventHandler | null>(initialCapacity).fill(null);
    this.slotFrame = new Array<Uint8Array | null>(initialCapacity).fill(null);
    this.slotFn = new Array<(() => void) | null>(initialCapacity).fill(null);
    this.slotTimer = new Array<Timer | null>(initialCapacity).fill(null);
    this.freeSlots = new Int32Array(initialCapacity);
    for (let i = 0; i < initialCapacity; i++) this.freeSlots[i] = initialCapacity - 1 - i;
    this.freeCount = initialCapacity;
    this.heap = new Int32Array(initialCapacity);
    this.heapTime = new Float64Array(initialCapacity);
    this.heapSeq = new Float64Array(initialCapacity);
    this.ring = new Int32Array(initialCapacity);
  }

  /** Current simulated time, picoseconds. */
  now(): number {
    return this.timeNow;
  }

  /** Events executed so far (cancelled ones are not counted). */
  get eventsProcessed(): number {
    return this.processed;
  }

  /** Events waiting in the queue (including cancelled timers not yet popped). */
  get pending(): number {
    return this.heapSize + this.ringSize;
  }

  /** Schedule a typed event for a handler. */
  schedule(atPs: number, handler: EventHandler, kind: number, frame: Uint8Array | null = null, arg = 0, arg2 = 0): void {
    const slot = this.allocate(atPs);
    this.slotHandler[slot] = handler;
    this.slotKind[slot] = kind;
    this.slotFrame[slot] = frame;
    this.slotArg[slot] = arg;
    this.slotArg2[slot] = arg2;
    if (atPs === this.timeNow) this.pushNow(slot);
    else this.push(slot);
  }

  /** Run `fn` at `atPs`; the returned timer can be cancelled. */
  at(atPs: number, fn: () => void): Timer {
    const slot = this.allocate(atPs);
    this.slotKind[slot] = CLOSURE;
    this.slotFn[slot] = fn;
    const timer = new Timer(this.slotSeq[slot]!, slot);
    this.slotTimer[slot] = timer;
    if (atPs === this.timeNow) this.pushNow(slot);
    else this.push(slot);
    return timer;
  }

  /** Cancel a pending timer; cancelling a fired or cancelled timer does nothing. */
  cancel(timer: Timer): void {
    const slot = timer.slot;
    if (slot < 0 || this.slotTimer[slot] !== timer) return;
    // Lazy deletion: the slot stays in the heap and is skipped when popped.
    this.slotFn[slot] = null;
    this.slotTimer[slot] = null;
    timer.slot = -1;
  }

  /** Stop `run` after the current event. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Run events in (time, seq) order until the queue is empty, `stop()` is called, or the next
   * event is later than `untilPs` (then time advances to `untilPs`).
   */
  run(untilPs = Number.POSITIVE_INFINITY): void {
    this.stopRequested = false;
    while (!this.stopRequested) {
      let slot: number;
      if (this.heapSize > 0 && (this.ringSize === 0 || this.heapTime[0] === this.timeNow)) {
        const t = this.heapTime[0]!;
        if (t > untilPs) break;
        slot = this.heap[0]!;
        this.popTop();
        this.timeNow = t;
      } else if (this.ringSize > 0) {
        // Ring entries are at timeNow, which never exceeds untilPs inside run.
        slot = this.ring[this.ringHead]!;
        this.ringHead = (this.ringHead + 1) & (this.ring.length - 1);
        this.ringSize--;
      } else break;
      const kind = this.slotKind[slot]!;
      if (kind === CLOSURE) {
        const fn = this.slotFn[slot];
        const timer = this.slotTimer[slot];
        this.slotFn[slot] = null;
        this.slotTimer[slot] = null;
        this.release(slot);
        if (fn !== null && fn !== undefined) {
          if (timer) timer.slot = -1;
          this.processed++;
          fn();
        }
      } else {
        const handler = this.slotHandler[slot]!;
        const frame = this.slotFrame[slot]!;
        const arg = this.slotArg[slot]!;
        const arg2 = this.slotArg2[slot]!;
        this.slotHandler[slot] = null;
        this.slotFrame[slot] = null;
        this.release(slot);
        this.processed++;
        handler.handleEvent(kind, frame, arg, arg2);
      }
    }
    if (!this.stopRequested && untilPs !== Number.POSITIVE_INFINITY && this.timeNow < untilPs) this.timeNow = untilPs;
  }

  private allocate(atPs: number): number {
    if (!(atPs >= this.timeNow) || !Number.isInteger(atPs)) {
      throw new RangeError(`event time ${atPs} ps must be an integer >= now (${this.timeNow} ps)`);
    }
    if (this.freeCount === 0) this.grow();
    const slot = this.freeSlots[--this.freeCount]!;
    this.slotTime[slot] = atPs;
    this.slotSeq[slot] = this.nextSeq++;
    return slot;
  }

  private release(slot: number): void {
    this.freeSlots[this.freeCount++] = slot;
  }

  private grow(): void {
    const old = this.capacity;
    const cap = old * 2;
    const f64 = (a: Float64Array): Float64Array => {
      const n = new Float64Array(cap);
      n.set(a);
      return n;
    };
    this.slotTime = f64(this.slotTime);
    this.slotSeq = f64(this.slotSeq);
    this.slotArg = f64(this.slotArg);
    this.slotArg2 = f64(this.slotArg2);
    const kind = new Int32Array(cap);
    kind.set(this.slotKind);
    this.slotKind = kind;
    for (let i = old; i < cap; i++) {
      this.slotHandler.push(null);
      this.slotFrame.push(null);
      this.slotFn.push(null);
      this.slotTimer.push(null);
    }
    const free = new Int32Array(cap);
    free.set(this.freeSlots.subarray(0, this.freeCount));
    for (let i = cap - 1; i >= old; i--) free[this.freeCount++] = i;
    this.freeSlots = free;
    const heap = new Int32Array(cap);
    heap.set(this.heap);
    this.heap = heap;
    this.heapTime = f64(this.heapTime);
    this.heapSeq = f64(this.heapSeq);
    const ring = new Int32Array(cap);
    for (let i = 0; i < this.ringSize; i++) ring[i] = this.ring[(this.ringHead + i) & (old - 1)]!;
    this.ring = ring;
    this.ringHead = 0;
    this.capacity = cap;
  }

  private pushNow(slot: number): void {
    // The ring has the slots' capacity (a power of two), so it never overflows.
    this.ring[(this.ringHead + this.ringSize) & (this.ring.length - 1)] = slot;
    this.ringSize++;
  }

  private push(slot: number): void {
    const heap = this.heap;
    const ht = this.heapTime;
    const hs = this.heapSeq;
    const t = this.slotTime[slot]!;
    const q = this.slotSeq[slot]!;
    let i = this.heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = ht[parent]!;
      if (pt < t || (pt === t && hs[parent]! < q)) break;
      heap[i] = heap[parent]!;
      ht[i] = pt;
      hs[i] = hs[parent]!;
      i = parent;
    }
    heap[i] = slot;
    ht[i] = t;
    hs[i] = q;
  }

  private popTop(): void {
    const heap = this.heap;
    const ht = this.heapTime;
    const hs = this.heapSeq;
    const n = --this.heapSize;
    if (n === 0) return;
    const last = heap[n]!;
    const lt = ht[n]!;
    const lq = hs[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && (ht[r]! < ht[l]! || (ht[r] === ht[l] && hs[r]! < hs[l]!))) c = r;
      const ct = ht[c]!;
      if (lt < ct || (lt === ct && lq < hs[c]!)) break;
      heap[i] = heap[c]!;
      ht[i] = ct;
      hs[i] = hs[c]!;
      i = c;
    }
    heap[i] = last;
    ht[i] = lt;
    hs[i] = lq;
  }
}
