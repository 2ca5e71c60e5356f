-- tools/wireshark/homa.lua — a Wireshark dissector for Homa as it is on the wire today
-- (HomaModule's current format; docs: spec/homa-protocol.md §1, this repository's
-- hw/homa/wire). IP protocol 146 over IPv4 and IPv6, and TCP segments carrying Homa's
-- markers (hijacking, spec §1.6). Every packet type, the common header and each type's
-- fields, piggybacked acks, and expert info on malformed packets.
--
-- Use without installing:   tshark -X lua_script:tools/wireshark/homa.lua -r capture.pcap
-- Install (personal plugins folder, then restart Wireshark):  npx homa-nic wireshark --install
--
-- Display filters: homa, homa.type == 0x10, homa.sender_id == 1234, homa.offset, homa.length,
-- homa.priority, homa.ack.client_id, ... (Analyze > Display Filter Expression lists them).
-- The field table below is generated from the wire layouts; the Lua around it is not.

local homa = Proto("homa", "Homa")

-- BEGIN GENERATED FIELDS
-- Generated from hw/homa/wire (layouts.ts, types.ts) by tools/wireshark/lua-fields.ts; do not edit
-- by hand: `npx tsx tools/wireshark/gen-lua.ts` rewrites this region, a test checks it.
local IPPROTO_HOMA = 146
local IPPROTO_TCP = 6
local HOMA_FLAGS = 0x06
local HOMA_URGENT = 0xb97d
local SEG_OFFSET_FROM_SEQUENCE = 0xffffffff
local RESEND_ALL = 0xffffffff
local HOMA_MAX_ACKS_PER_PKT = 5
local HOMA_MAX_MESSAGE_LENGTH = 1000000
local COMMON_HLEN = 28
local DATA_HLEN = 56

-- Packet types (spec §1.3) and the bytes of header each needs.
local TYPE_NAMES = {
  [0x10] = "DATA",
  [0x11] = "GRANT",
  [0x12] = "RESEND",
  [0x13] = "RPC_UNKNOWN",
  [0x14] = "BUSY",
  [0x15] = "CUTOFFS",
  [0x16] = "FREEZE",
  [0x17] = "NEED_ACK",
  [0x18] = "ACK",
}
local TYPE = {
  DATA = 0x10,
  GRANT = 0x11,
  RESEND = 0x12,
  RPC_UNKNOWN = 0x13,
  BUSY = 0x14,
  CUTOFFS = 0x15,
  FREEZE = 0x16,
  NEED_ACK = 0x17,
  ACK = 0x18,
}
local HEADER_BYTES = {
  [0x10] = 56,   -- DATA
  [0x11] = 33,   -- GRANT
  [0x12] = 37,   -- RESEND
  [0x13] = 28,   -- RPC_UNKNOWN
  [0x14] = 28,   -- BUSY
  [0x15] = 62,   -- CUTOFFS
  [0x16] = 28,   -- FREEZE
  [0x17] = 28,   -- NEED_ACK
  [0x18] = 80,   -- ACK
}

-- Every field, by display-filter name (without the "homa." prefix).
local F = {
  ["sport"] = ProtoField.uint16("homa.sport", "Source port", base.DEC),
  ["dport"] = ProtoField.uint16("homa.dport", "Destination port", base.DEC),
  ["sequence"] = ProtoField.uint32("homa.sequence", "Sequence", base.DEC),
  ["tcp_ack"] = ProtoField.uint24("homa.tcp_ack", "Unused (TCP ack)", base.HEX),
  ["type"] = ProtoField.uint8("homa.type", "Type", base.HEX, TYPE_NAMES),
  ["doff"] = ProtoField.uint8("homa.doff", "Data offset (header words << 4)", base.HEX),
  ["flags"] = ProtoField.uint8("homa.flags", "Flags (marker)", base.HEX),
  ["window"] = ProtoField.uint16("homa.window", "Window", base.HEX),
  ["checksum"] = ProtoField.uint16("homa.checksum", "Checksum", base.HEX),
  ["urgent"] = ProtoField.uint16("homa.urgent", "Urgent (marker)", base.HEX),
  ["sender_id"] = ProtoField.uint64("homa.sender_id", "Sender RPC id", base.DEC),
  ["message_length"] = ProtoField.uint32("homa.message_length", "Message length", base.DEC),
  ["incoming"] = ProtoField.uint32("homa.incoming", "Incoming", base.DEC),
  ["ack.client_id"] = ProtoField.uint64("homa.ack.client_id", "Client id", base.DEC),
  ["ack.server_port"] = ProtoField.uint16("homa.ack.server_port", "Server port", base.DEC),
  ["cutoff_version"] = ProtoField.uint16("homa.cutoff_version", "Cutoff version", base.DEC),
  ["retransmit"] = ProtoField.uint8("homa.retransmit", "Retransmit", base.DEC),
  ["pad"] = ProtoField.uint24("homa.pad", "Pad", base.HEX),
  ["offset"] = ProtoField.uint32("homa.offset", "Offset", base.DEC),
  ["priority"] = ProtoField.uint8("homa.priority", "Priority", base.DEC),
  ["length"] = ProtoField.uint32("homa.length", "Length", base.DEC),
  ["unsched_cutoffs"] = ProtoField.uint32("homa.unsched_cutoffs", "Unsched cutoffs", base.DEC),
  ["num_acks"] = ProtoField.uint16("homa.num_acks", "Num acks", base.DEC),
}

-- The common header (spec §1.2) and each type's body, in wire order: byte offsets from the
-- start of the Homa header; `items` opens a subtree, `count` names the field saying how
-- many of an array's elements are valid.
local COMMON = {
  { at = 0, len = 2, field = "sport" },
  { at = 2, len = 2, field = "dport" },
  { at = 4, len = 4, field = "sequence" },
  { at = 8, len = 3, field = "tcp_ack" },
  { at = 11, len = 1, field = "type" },
  { at = 12, len = 1, field = "doff" },
  { at = 13, len = 1, field = "flags" },
  { at = 14, len = 2, field = "window" },
  { at = 16, len = 2, field = "checksum" },
  { at = 18, len = 2, field = "urgent" },
  { at = 20, len = 8, field = "sender_id" },
}
local BODY = {
  [0x10] = {   -- DATA
    { at = 28, len = 4, field = "message_length" },
    { at = 32, len = 4, field = "incoming" },
    { at = 36, len = 10, label = "ack", items = {
      { at = 36, len = 8, field = "ack.client_id" },
      { at = 44, len = 2, field = "ack.server_port" },
    } },
    { at = 46, len = 2, field = "cutoff_version" },
    { at = 48, len = 1, field = "retransmit" },
    { at = 49, len = 3, field = "pad" },
    { at = 52, len = 4, field = "offset" },
  },
  [0x11] = {   -- GRANT
    { at = 28, len = 4, field = "offset" },
    { at = 32, len = 1, field = "priority" },
  },
  [0x12] = {   -- RESEND
    { at = 28, len = 4, field = "offset" },
    { at = 32, len = 4, field = "length" },
    { at = 36, len = 1, field = "priority" },
  },
  [0x15] = {   -- CUTOFFS
    { at = 28, len = 32, label = "unsched_cutoffs", items = {
      { at = 28, len = 4, field = "unsched_cutoffs", label = "unsched_cutoffs[0]" },
      { at = 32, len = 4, field = "unsched_cutoffs", label = "unsched_cutoffs[1]" },
      { at = 36, len = 4, field = "unsched_cutoffs", label = "unsched_cutoffs[2]" },
      { at = 40, len = 4, field = "unsched_cutoffs", label = "unsched_cutoffs[3]" },
      { at = 44, len = 4, field = "unsched_cutoffs", label = "unsched_cutoffs[4]" },
      { at = 48, len = 4, field = "unsched_cutoffs", label = "unsched_cutoffs[5]" },
      { at = 52, len = 4, field = "unsched_cutoffs", label = "unsched_cutoffs[6]" },
      { at = 56, len = 4, field = "unsched_cutoffs", label = "unsched_cutoffs[7]" },
    } },
    { at = 60, len = 2, field = "cutoff_version" },
  },
  [0x18] = {   -- ACK
    { at = 28, len = 2, field = "num_acks" },
    { at = 30, len = 50, label = "acks", count = "num_acks", items = {
      { at = 30, len = 10, label = "acks[0]", items = {
        { at = 30, len = 8, field = "ack.client_id" },
        { at = 38, len = 2, field = "ack.server_port" },
      } },
      { at = 40, len = 10, label = "acks[1]", items = {
        { at = 40, len = 8, field = "ack.client_id" },
        { at = 48, len = 2, field = "ack.server_port" },
      } },
      { at = 50, len = 10, label = "acks[2]", items = {
        { at = 50, len = 8, field = "ack.client_id" },
        { at = 58, len = 2, field = "ack.server_port" },
      } },
      { at = 60, len = 10, label = "acks[3]", items = {
        { at = 60, len = 8, field = "ack.client_id" },
        { at = 68, len = 2, field = "ack.server_port" },
      } },
      { at = 70, len = 10, label = "acks[4]", items = {
        { at = 70, len = 8, field = "ack.client_id" },
        { at = 78, len = 2, field = "ack.server_port" },
      } },
    } },
  },
}
-- END GENERATED FIELDS

-- Fields computed from the packet rather than read from one place of the header.
F["payload_length"] = ProtoField.uint32("homa.payload_length", "Payload length", base.DEC)
F["payload"] = ProtoField.bytes("homa.payload", "Payload")
F["data_offset"] = ProtoField.uint32("homa.data_offset", "Payload offset (seg.offset, or sequence when it is 0xffffffff)", base.DEC)
F["hijacked"] = ProtoField.bool("homa.hijacked", "Hijacked (carried as TCP, spec 1.6)")
homa.fields = F

local E = {
  short = ProtoExpert.new("homa.short", "Packet shorter than its header", expert.group.MALFORMED, expert.severity.ERROR),
  unknown_type = ProtoExpert.new("homa.unknown_type", "Unknown Homa packet type", expert.group.MALFORMED, expert.severity.ERROR),
  bad_length = ProtoExpert.new("homa.bad_length", "Length field out of range", expert.group.MALFORMED, expert.severity.ERROR),
  markers = ProtoExpert.new("homa.markers", "Homa's TCP-style markers missing (flags 0x06, urgent 0xb97d, spec 1.6)",
    expert.group.PROTOCOL, expert.severity.WARN),
  from_sequence = ProtoExpert.new("homa.offset_from_sequence", "seg.offset is 0xffffffff: the payload offset is the sequence field (spec 1.4)",
    expert.group.SEQUENCE, expert.severity.CHAT),
  retransmit = ProtoExpert.new("homa.retransmit.expert", "Retransmitted DATA (sent for a RESEND)",
    expert.group.SEQUENCE, expert.severity.NOTE),
}
homa.experts = { E.short, E.unknown_type, E.bad_length, E.markers, E.from_sequence, E.retransmit }

homa.prefs.hijack_tcp = Pref.bool("Decode hijacked TCP", true,
  "TCP segments with flags SYN|RST and urgent 0xb97d carry Homa (spec 1.6); other TCP stays TCP")

-- Reads an item's value: numbers up to 4 bytes, UInt64 for 8.
local function value_of(range)
  if range:len() == 8 then return range:uint64() end
  return range:uint()
end

-- Adds `items` (from the generated tables) under `tree`; the first value of each field
-- goes into `v` for the checks and the info column.
local function add_items(tvb, tree, items, v)
  for _, it in ipairs(items) do
    local range = tvb(it.at, it.len)
    if it.items then
      local sub = tree:add(range, it.label)
      local limit = #it.items
      if it.count then
        limit = math.min(limit, v[it.count] or 0)
        if limit < #it.items then
          sub:append_text(string.format(" (%d used, %d empty slots not shown)", limit, #it.items - limit))
        end
      end
      for i = 1, limit do add_items(tvb, sub, { it.items[i] }, v) end
    else
      local value = value_of(range)
      local item = tree:add(F[it.field], range, value)
      if it.label then item:set_text(string.format("%s: %s", it.label, tostring(value))) end
      if v[it.field] == nil then v[it.field] = value end
    end
  end
end

-- The info column: what a person debugging Homa wants first.
local function info_of(typ, v, payload_len, offset)
  local id = tostring(v.sender_id)
  local s = (TYPE_NAMES[typ] or string.format("type 0x%02x", typ)) .. " id=" .. id
  if typ == TYPE.DATA then
    s = s .. string.format(" off=%d len=%d msg=%d incoming=%d", offset, payload_len, v.message_length, v.incoming)
    if v.retransmit ~= 0 then s = s .. " retransmit" end
    if tostring(v["ack.client_id"]) ~= "0" then s = s .. " ack=" .. tostring(v["ack.client_id"]) end
  elseif typ == TYPE.GRANT then
    s = s .. string.format(" off=%d prio=%d", v.offset, v.priority)
  elseif typ == TYPE.RESEND then
    local len = (v.length == RESEND_ALL) and "all" or tostring(v.length)
    s = s .. string.format(" off=%d len=%s prio=%d", v.offset, len, v.priority)
  elseif typ == TYPE.CUTOFFS then
    s = s .. string.format(" version=%d", v.cutoff_version)
  elseif typ == TYPE.ACK then
    s = s .. string.format(" acks=%d", v.num_acks)
  end
  return s
end

local function dissect_homa(tvb, pinfo, tree, hijacked)
  local len = tvb:len()
  pinfo.cols.protocol = "Homa"
  local root = tree:add(homa, tvb())
  if hijacked then root:add(F.hijacked, true):set_generated() end
  if len < COMMON_HLEN then
    root:add_proto_expert_info(E.short, string.format("%d bytes: the common header needs %d (spec 1.2)", len, COMMON_HLEN))
    pinfo.cols.info = "Homa [too short]"
    return len
  end
  local v = {}
  local typ = tvb(11, 1):uint()
  local need = HEADER_BYTES[typ]
  local body = BODY[typ]
  if need ~= nil and len < need then
    add_items(tvb, root, COMMON, v)
    root:add_proto_expert_info(E.short, string.format("%s needs %d bytes of header, the packet has %d (spec 1.3)", TYPE_NAMES[typ], need, len))
    pinfo.cols.info = string.format("%d > %d %s [too short]", v.sport, v.dport, TYPE_NAMES[typ])
    return len
  end
  add_items(tvb, root, COMMON, v)
  if need == nil then
    root:add_proto_expert_info(E.unknown_type, string.format("type 0x%02x is not one of 0x10..0x18 (spec 1.3)", typ))
    pinfo.cols.info = string.format("%d > %d unknown type 0x%02x", v.sport, v.dport, typ)
    return len
  end
  if v.flags ~= HOMA_FLAGS or v.urgent ~= HOMA_URGENT then root:add_proto_expert_info(E.markers) end
  if body then add_items(tvb, root, body, v) end
  root:set_len(need)
  root:append_text(", " .. TYPE_NAMES[typ] .. ", id " .. tostring(v.sender_id))
  local payload_len, offset = 0, 0
  if typ == TYPE.DATA then
    payload_len = len - DATA_HLEN
    offset = v.offset
    if offset == SEG_OFFSET_FROM_SEQUENCE then
      offset = v.sequence
      root:add_proto_expert_info(E.from_sequence)
    end
    root:add(F.data_offset, offset):set_generated()
    root:add(F.payload_length, payload_len):set_generated()
    if payload_len > 0 then root:add(F.payload, tvb(DATA_HLEN, payload_len)) end
    root:set_len(len)
    if v.message_length == 0 or v.message_length > HOMA_MAX_MESSAGE_LENGTH then
      root:add_proto_expert_info(E.bad_length, string.format("message_length %d is not in 1..%d (spec 1.4)", v.message_length, HOMA_MAX_MESSAGE_LENGTH))
    elseif offset + payload_len > v.message_length then
      root:add_proto_expert_info(E.bad_length, string.format("payload [%d, %d) runs past message_length %d", offset, offset + payload_len, v.message_length))
    end
    if v.retransmit ~= 0 then root:add_proto_expert_info(E.retransmit) end
  elseif typ == TYPE.ACK and v.num_acks > HOMA_MAX_ACKS_PER_PKT then
    root:add_proto_expert_info(E.bad_length, string.format("num_acks %d > %d (spec 1.3)", v.num_acks, HOMA_MAX_ACKS_PER_PKT))
  end
  pinfo.cols.info = string.format("%d > %d %s%s", v.sport, v.dport, info_of(typ, v, payload_len, offset), hijacked and " [hijacked]" or "")
  return len
end

function homa.dissector(tvb, pinfo, tree)
  return dissect_homa(tvb, pinfo, tree, false)
end

-- Hijacked Homa (spec 1.6): IP protocol 6 with both markers. Anything else is handed to
-- the TCP dissector this one stands in front of.
local ip_proto = DissectorTable.get("ip.proto")
local tcp = ip_proto:get_dissector(IPPROTO_TCP)
local hijack = Proto("homa_hijack", "Homa over TCP (hijacked)")
function hijack.dissector(tvb, pinfo, tree)
  if tvb:len() >= COMMON_HLEN and tvb(13, 1):uint() == HOMA_FLAGS and tvb(18, 2):uint() == HOMA_URGENT then
    return dissect_homa(tvb, pinfo, tree, true)
  end
  return tcp:call(tvb, pinfo, tree)
end

local function register()
  ip_proto:add(IPPROTO_HOMA, homa)
  if homa.prefs.hijack_tcp and tcp then ip_proto:add(IPPROTO_TCP, hijack)
  elseif tcp then ip_proto:add(IPPROTO_TCP, tcp) end
end
homa.prefs_changed = register
register()
