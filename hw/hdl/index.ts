// homa-nic/hdl — the hardware DSL: layouts, values, modules, statements, emitter.

export { u, s, bool, record, vec, enumType, bitsFor, clog2, leaves, byteFields } from './layout.ts';
export type { Layout, UIntLayout, SIntLayout, BoolLayout, EnumLayout, RecordLayout, VecLayout, Fields } from './layout.ts';
export { Bits, UInt, SInt, Bool, lit, slit, cat, True, False } from './values.ts';
export type { Literal } from './values.ts';
export { EnumValue, VecValue, pack, packAs, unpack, eq, mux, assign, constant, layoutOf } from './structs.ts';
export { popcount, leadingZeros, trailingZeros, priorityEncode, oneHot, oneHotIndex, reverse, rotateLeft, rotateRight } from './bitops.ts';
export type { ValueOf, RecordValue, AnyValue } from './structs.ts';
export { input, output, inputs, outputs, stream, flattenIo, numbered } from './ports.ts';
export type { IoSpec, IoEntry, IoArray, IoOf, Stream, PortSpec, StreamSpec, FlatPort, Numbered, Indices } from './ports.ts';
export { module, ModuleDef, ModuleBuilder, connect } from './module.ts';
export type { Params } from './module.ts';
export { when, switchOn } from './statements.ts';
export type { MemoryOptions, MemPortKind } from './memory.ts';
export { Fsm } from './fsm.ts';
export { ElaborationError } from './loc.ts';
export type { SourceLoc } from './loc.ts';
export { elaborate, toVerilog } from './design.ts';
export type { Design } from './flatten.ts';
export type { Warning } from './checks.ts';
export { emitVerilog } from './verilog.ts';
export type * from './ir.ts';
