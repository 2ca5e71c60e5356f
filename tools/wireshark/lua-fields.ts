// tools/wireshark/lua-fields.ts — the field table of the Wireshark dissector (homa.lua),
// generated from the wire layouts (hw/homa/wire/layouts.ts) so that the dissector and the
// codec read the same bytes: a field moved in a layout moves in the dissector.
//
// homa.lua is hand-written Lua around one generated region between GENERATED_BEGIN and
// GENERATED_END. `npx tsx tools/wireshark/gen-lua.ts` rewrites the region; a test checks it
// is up to date.
//
// Naming (Wireshark display-filter names, all under `homa.`):
//  - a field is named by its spec name (`homa.sport`, `homa.message_length`); fields of the
//    same name in several types share one filter name (`homa.offset` is DATA's seg.offset,
//    GRANT's and RESEND's offset), and must then have the same width;
//  - a one-field record is its field (DATA's seg.offset is `homa.offset`);
//  - a struct is a subtree whose fields take the struct's name (`struct homa_ack` ->
//    `homa.ack.client_id`, in DATA's piggybacked ack and in each of ACK's acks);
//  - a wire array (layouts.ts wireArray) is a subtree of elements `name[i]`;
//  - the common header's unused 3-byte `ack` (TCP's ack field, spec §1.2) is `homa.tcp_ack`,
//    so that `homa.ack` stays the piggybacked ack.

import { type Layout, type RecordLayout } from '../../hw/hdl/layout.ts';
import {
  COMMON_HLEN, DATA_HLEN, headerBytes,
  HOMA_FLAGS, HOMA_MAX_ACKS_PER_PKT, HOMA_MAX_MESSAGE_LENGTH, HOMA_URGENT, HomaType, IPPROTO_HOMA, IPPROTO_TCP,
  RESEND_ALL, SEG_OFFSET_FROM_SEQUENCE,
  ackHeader, commonHeader, cutoffsHeader, dataHeader, grantHeader, resendHeader,
} from '../../hw/homa/wire/index.ts';

export const GENERATED_BEGIN = '-- BEGIN GENERATED FIELDS';
export const GENERATED_END = '-- END GENERATED FIELDS';

/** The body layout of each packet type that has one (the others are the common header alone). */
const BODY_LAYOUTS: Readonly<Record<number, RecordLayout>> = {
  [HomaType.DATA]: dataHeader,
  [HomaType.GRANT]: grantHeader,
  [HomaType.RESEND]: resendHeader,
  [HomaType.CUTOFFS]: cutoffsHeader,
  [HomaType.ACK]: ackHeader,
};
/** Wire arrays holding fewer valid elements than slots: the field that counts them (spec §1.3). */
const COUNTED_BY: Readonly<Record<string, string>> = { acks: 'num_acks' };
/** Filter names that differ from the layout's field name (see the header comment). */
const RENAMED: Readonly<Record<string, string>> = { 'common.ack': 'tcp_ack' };
/** Display labels where the spec name alone says too little. */
const LABELS: Readonly<Record<string, string>> = {
  sport: 'Source port', dport: 'Destination port', sender_id: 'Sender RPC id', type: 'Type',
  tcp_ack: 'Unused (TCP ack)', doff: 'Data offset (header words << 4)', urgent: 'Urgent (marker)', flags: 'Flags (marker)',
  'ack.client_id': 'Client id', 'ack.server_port': 'Server port', offset: 'Offset', incoming: 'Incoming',
};
/** Fields shown in hexadecimal; the rest are decimal. */
const HEX = new Set(['type', 'doff', 'flags', 'window', 'checksum', 'urgent', 'tcp_ack', 'pad']);

export interface FieldSpec { readonly name: string; readonly bytes: number; readonly label: string; readonly hex: boolean }
/** One item of a packet's tree: a field at a byte offset, or a subtree of items. */
export type Item =
  | { readonly at: number; readonly len: number; readonly field: string; readonly label?: string }
  | { readonly at: number; readonly len: number; readonly label: string; readonly count?: string; readonly items: Item[] };

function titleOf(name: string): string {
  const last = name.split('.').pop()!;
  const words = last.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function isWireArray(r: RecordLayout): boolean {
  return Object.keys(r.fields).every((k, i) => k === `e${i}`);
}

/** What the generator makes of the layouts: every filter field and each type's items. */
export interface FieldTable {
  readonly fields: Map<string, FieldSpec>;
  readonly common: Item[];
  readonly bodies: Map<number, Item[]>;
}

export function fieldTable(): FieldTable {
  const fields = new Map<string, FieldSpec>();
  const declare = (name: string, bits: number, where: string): void => {
    if (bits % 8 !== 0 || bits > 64) throw new Error(`${where}: ${bits} bits is not a whole number of bytes up to 8; the dissector reads bytes`);
    const old = fields.get(name);
    if (old && old.bytes !== bits / 8) throw new Error(`${where}: homa.${name} is ${old.bytes} bytes elsewhere and ${bits / 8} here; rename one (RENAMED in ${import.meta.url})`);
    if (!old) fields.set(name, { name, bytes: bits / 8, label: LABELS[name] ?? titleOf(name), hex: HEX.has(name) });
  };
  // Walks `r` whose most significant bit is at byte `base` of the header.
  const walk = (r: RecordLayout, base: number, prefix: string, path: string): Item[] => {
    const items: Item[] = [];
    let at = base;
    for (const [key, sub] of Object.entries(r.fields) as [string, Layout][]) {
      const here = path ? `${path}.${key}` : key;
      const len = sub.width / 8;
      if (sub.kind === 'record' && isWireArray(sub)) {
        const elements: Item[] = [];
        Object.values(sub.fields).forEach((el, i) => {
          const at_ = at + (i * el.width) / 8;
          if (el.kind === 'record') elements.push({ at: at_, len: el.width / 8, label: `${key}[${i}]`, items: walk(el, at_, structPrefix(el, key), `${here}.e${i}`) });
          else { declare(prefix + key, el.width, here); elements.push({ at: at_, len: el.width / 8, field: prefix + key, label: `${key}[${i}]` }); }
        });
        items.push({ at, len, label: key, ...(COUNTED_BY[key] ? { count: COUNTED_BY[key] } : {}), items: elements });
      } else if (sub.kind === 'record' && Object.keys(sub.fields).length === 1) {
        const [inner, leaf] = Object.entries(sub.fields)[0]!;
        declare(prefix + inner, leaf.width, here);
        items.push({ at, len, field: prefix + inner });
      } else if (sub.kind === 'record') {
        items.push({ at, len, label: key, items: walk(sub, at, structPrefix(sub, key), here) });
      } else {
        const name = RENAMED[here] ?? prefix + key;
        declare(name, sub.width, here);
        items.push({ at, len, field: name });
      }
      at += len;
    }
    return items;
  };
  const common = walk(commonHeader, 0, '', 'common');
  const bodies = new Map<number, Item[]>();
  for (const [code, layout] of Object.entries(BODY_LAYOUTS)) {
    const { common: _c, ...rest } = layout.fields;
    if (!_c) throw new Error(`layout ${layout.name}: the first field must be the common header`);
    bodies.set(Number(code), walk({ ...layout, fields: rest, width: layout.width - commonHeader.width }, COMMON_HLEN, '', ''));
  }
  return { fields, common, bodies };
}

/** The filter prefix of a struct's fields: `homa_ack` -> `ack.`. */
function structPrefix(r: Layout, key: string): string {
  const name = r.kind === 'record' && r.name ? r.name.replace(/^homa_/, '') : key;
  return `${name}.`;
}

const hex = (n: number, digits = 2): string => `0x${n.toString(16).padStart(digits, '0')}`;
const lua = (s: string): string => JSON.stringify(s);

function itemLua(it: Item, indent: string): string {
  if ('field' in it) return `${indent}{ at = ${it.at}, len = ${it.len}, field = ${lua(it.field)}${it.label ? `, label = ${lua(it.label)}` : ''} },`;
  const head = `${indent}{ at = ${it.at}, len = ${it.len}, label = ${lua(it.label)}${it.count ? `, count = ${lua(it.count)}` : ''}, items = {`;
  return [head, ...it.items.map((x) => itemLua(x, indent + '  ')), `${indent}} },`].join('\n');
}

/** The generated region of homa.lua, markers included. */
export function generatedLua(): string {
  const t = fieldTable();
  const types = Object.entries(HomaType) as [string, number][];
  const protoField = (f: FieldSpec): string => {
    const kind = `uint${f.bytes * 8}`;
    const base = f.hex ? 'base.HEX' : 'base.DEC';
    const extra = f.name === 'type' ? ', TYPE_NAMES' : '';
    return `  [${lua(f.name)}] = ProtoField.${kind}(${lua(`homa.${f.name}`)}, ${lua(f.label)}, ${base}${extra}),`;
  };
  const lines = [
    GENERATED_BEGIN,
    '-- Generated from hw/homa/wire (layouts.ts, types.ts) by tools/wireshark/lua-fields.ts; do not edit',
    '-- by hand: `npx tsx tools/wireshark/gen-lua.ts` rewrites this region, a test checks it.',
    `local IPPROTO_HOMA = ${IPPROTO_HOMA}`,
    `local IPPROTO_TCP = ${IPPROTO_TCP}`,
    `local HOMA_FLAGS = ${hex(HOMA_FLAGS)}`,
    `local HOMA_URGENT = ${hex(HOMA_URGENT, 4)}`,
    `local SEG_OFFSET_FROM_SEQUENCE = ${hex(SEG_OFFSET_FROM_SEQUENCE, 8)}`,
    `local RESEND_ALL = ${hex(RESEND_ALL, 8)}`,
    `local HOMA_MAX_ACKS_PER_PKT = ${HOMA_MAX_ACKS_PER_PKT}`,
    `local HOMA_MAX_MESSAGE_LENGTH = ${HOMA_MAX_MESSAGE_LENGTH}`,
    `local COMMON_HLEN = ${COMMON_HLEN}`,
    `local DATA_HLEN = ${DATA_HLEN}`,
    '',
    '-- Packet types (spec §1.3) and the bytes of header each needs.',
    'local TYPE_NAMES = {',
    ...types.map(([n, c]) => `  [${hex(c)}] = ${lua(n)},`),
    '}',
    'local TYPE = {',
    ...types.map(([n, c]) => `  ${n} = ${hex(c)},`),
    '}',
    'local HEADER_BYTES = {',
    ...types.map(([n, c]) => `  [${hex(c)}] = ${headerBytes(c)},   -- ${n}`),
    '}',
    '',
    '-- Every field, by display-filter name (without the "homa." prefix).',
    'local F = {',
    ...[...t.fields.values()].map(protoField),
    '}',
    '',
    '-- The common header (spec §1.2) and each type\'s body, in wire order: byte offsets from the',
    '-- start of the Homa header; `items` opens a subtree, `count` names the field saying how',
    '-- many of an array\'s elements are valid.',
    'local COMMON = {',
    ...t.common.map((x) => itemLua(x, '  ')),
    '}',
    'local BODY = {',
    ...[...t.bodies.entries()].map(([code, items]) => [
      `  [${hex(code)}] = {   -- ${types.find(([, c]) => c === code)![0]}`,
      ...items.map((x) => itemLua(x, '    ')),
      '  },',
    ].join('\n')),
    '}',
    GENERATED_END,
  ];
  return lines.join('\n');
}

/** `text` (homa.lua) with its generated region replaced by `generatedLua()`. */
export function withGeneratedRegion(text: string): string {
  const begin = text.indexOf(GENERATED_BEGIN);
  const end = text.indexOf(GENERATED_END);
  if (begin < 0 || end < begin) throw new Error(`homa.lua has no region between "${GENERATED_BEGIN}" and "${GENERATED_END}"`);
  return text.slice(0, begin) + generatedLua() + text.slice(end + GENERATED_END.length);
}
