// hw/hdl/fsm.ts — a state machine with named states. The state register holds an enum, so
// the Verilog shows localparams and waveforms show state names.

import type { EnumLayout } from './layout.ts';
import { EnumValue } from './structs.ts';
import { switchOn } from './statements.ts';
import type { Bool } from './values.ts';

export class Fsm<K extends string> {
  constructor(readonly state: EnumValue<K>, readonly layout: EnumLayout<K>) {}
  /** True while in state `s`. */
  is(s: K): Bool { return this.state.is(s); }
  /** Moves to state `s` at the next clock edge (inside m.seq). */
  goto(s: K): void { this.state.setTo(s); }
  /** One branch per state (inside m.seq or m.comb); states not listed do nothing. */
  on(branches: Partial<Record<K, () => void>>): void {
    const sw = switchOn(this.state);
    for (const s of this.layout.names) {
      const fn = branches[s];
      if (fn) sw.is(s, fn);
    }
  }
}
