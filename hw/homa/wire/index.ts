// hw/homa/wire/index.ts — the Homa wire format: layouts, codec, builders, JSON form.
export * from './types.ts';
export * from './layouts.ts';
export * from './codec.ts';
export * from './build.ts';
export { packetToJson, packetFromJson, formatAddr, parseAddr } from './json.ts';
export type { PacketJson } from './json.ts';
export { homaChecksum, ipv4HeaderChecksum } from './checksum.ts';
export * from './icmp.ts';
