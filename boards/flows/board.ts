// boards/flows/board.ts — what a board folder declares (boards/<name>/board.ts): the part,
// the clock, the engine configuration, the host link and Ethernet it has, and how the flow
// builds it. Everything board specific lives in its folder; the flows are shared.

import type { EngineConfig } from '../../hw/homa/engine/config.ts';

export interface Ice40Board {
  readonly flow: 'ice40';
  readonly name: string;
  readonly title: string;
  /** nextpnr-ice40's device flag and package, and the part's resources. */
  readonly device: 'up5k' | 'hx8k';
  readonly package: string;
  readonly part: string;
  readonly luts: number;
  readonly brams: number;
  readonly engine: EngineConfig;
  /** The clock the core runs on (MHz) and where it comes from. */
  readonly targetMhz: number;
  readonly clock: string;
  readonly baud: number;
  readonly ethernet: string;
  readonly host: string;
  /** The pin constraints (.pcf) next to board.ts. */
  readonly pcf: string;
  /** The programmer and its arguments (the bitstream's path is appended). */
  readonly flash: readonly string[];
}

export interface XilinxBoard {
  readonly flow: 'xilinx';
  readonly name: string;
  readonly title: string;
  readonly part: string;
  /** yosys synth_xilinx's family flag. */
  readonly family: 'xc7' | 'xcup';
  readonly luts: number;
  readonly brams: number;
  readonly engine: EngineConfig;
  readonly targetMhz: number;
  readonly clock: string;
  readonly ethernet: string;
  readonly host: string;
  /** The vendor IP the generated Vivado project instantiates around the engine. */
  readonly vendorIp: readonly string[];
  /** The constraints (.xdc) next to board.ts. */
  readonly xdc: string;
  readonly flash: readonly string[];
}

export type Board = Ice40Board | XilinxBoard;
