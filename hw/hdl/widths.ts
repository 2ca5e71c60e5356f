// hw/hdl/widths.ts — width arithmetic in the TypeScript type system.
//
// Widths are built as tuples from their decimal digits (ten copies of the tuple so far plus
// the digit), which stays far from TypeScript's recursion limits even for 4096-bit values.
// When either side is the general `number` (a computed width), the result is `number` and
// the check moves to elaboration.

type Digit = { '0': []; '1': [0]; '2': [0, 0]; '3': [0, 0, 0]; '4': [0, 0, 0, 0]; '5': [0, 0, 0, 0, 0]; '6': [0, 0, 0, 0, 0, 0]; '7': [0, 0, 0, 0, 0, 0, 0]; '8': [0, 0, 0, 0, 0, 0, 0, 0]; '9': [0, 0, 0, 0, 0, 0, 0, 0, 0] };
type Times10<T extends unknown[]> = [...T, ...T, ...T, ...T, ...T, ...T, ...T, ...T, ...T, ...T];
type Tuple<S extends string, R extends unknown[] = []> =
  S extends `${infer D}${infer Rest}` ? (D extends keyof Digit ? Tuple<Rest, [...Times10<R>, ...Digit[D]]> : never) : R;

/** A + B, or `number` when either is not a literal. */
export type Add<A extends number, B extends number> =
  number extends A ? number : number extends B ? number : [...Tuple<`${A}`>, ...Tuple<`${B}`>]['length'] & number;

/** A - B (B <= A), or `number` when either is not a literal. */
export type Sub<A extends number, B extends number> =
  number extends A ? number : number extends B ? number :
  Tuple<`${A}`> extends [...Tuple<`${B}`>, ...infer R] ? R['length'] & number : never;

/** Width of bits [hi:lo]. */
export type SliceWidth<H extends number, L extends number> = Add<Sub<H, L>, 1>;
