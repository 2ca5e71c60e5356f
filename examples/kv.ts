// examples/kv.ts — a small key-value store over Homa RPCs: a server holding a map, and a
// client that sends each key to one of several servers by hash.
//
// Wire format (little-endian):
//   request  = op u8 (1 GET, 2 PUT, 3 DELETE) | key length u16 | key (UTF-8) | value (PUT only)
//   response = status u8 (0 OK, 1 NOT_FOUND, 2 BAD_REQUEST) | value (GET only)

import type { Destination, HomaSocket, Message } from '../host-lib/index.ts';

export const KvOp = { GET: 1, PUT: 2, DELETE: 3 } as const;
export const KvStatus = { OK: 0, NOT_FOUND: 1, BAD_REQUEST: 2 } as const;

export function encodeRequest(op: number, key: string, value?: Uint8Array): Uint8Array {
  const k = Buffer.from(key, 'utf8');
  if (k.length > 0xffff) throw new RangeError(`key of ${k.length} bytes: at most 65535`);
  const out = new Uint8Array(3 + k.length + (value?.length ?? 0));
  out[0] = op;
  out[1] = k.length & 0xff;
  out[2] = k.length >> 8;
  out.set(k, 3);
  if (value) out.set(value, 3 + k.length);
  return out;
}

/** Read a request straight from the message's bpage views (no copy unless the key spans two). */
function decodeRequest(m: Message): { op: number; key: string; value: Uint8Array } | null {
  const views = m.views;
  const head = views.length === 1 ? views[0]! : m.bytes();
  if (head.length < 3) return null;
  const keyLength = head[1]! | (head[2]! << 8);
  if (3 + keyLength > head.length) return null;
  const key = Buffer.from(head.buffer, head.byteOffset + 3, keyLength).toString('utf8');
  return { op: head[0]!, key, value: head.subarray(3 + keyLength) };
}

/** The store: a map from key to value, served on one socket. */
export class KvServer {
  readonly store = new Map<string, Uint8Array>();
  served = 0;

  constructor(readonly sock: HomaSocket) {}

  /** Serve until the socket closes (or the simulation has nothing left to do). */
  async run(): Promise<void> {
    for await (const m of this.sock.requests()) {
      const r = decodeRequest(m);
      let response: Uint8Array;
      if (!r) response = Uint8Array.of(KvStatus.BAD_REQUEST);
      else if (r.op === KvOp.GET) {
        const v = this.store.get(r.key);
        response = v ? concat(KvStatus.OK, v) : Uint8Array.of(KvStatus.NOT_FOUND);
      } else if (r.op === KvOp.PUT) {
        // The value is a view on a bpage: copy it before the message goes back to the NIC.
        this.store.set(r.key, r.value.slice());
        response = Uint8Array.of(KvStatus.OK);
      } else if (r.op === KvOp.DELETE) {
        response = Uint8Array.of(this.store.delete(r.key) ? KvStatus.OK : KvStatus.NOT_FOUND);
      } else response = Uint8Array.of(KvStatus.BAD_REQUEST);
      m.release();
      await this.sock.reply(m, response);
      this.served++;
    }
  }
}

function concat(status: number, v: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + v.length);
  out[0] = status;
  out.set(v, 1);
  return out;
}

/** FNV-1a, to spread keys over servers. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class KvClient {
  constructor(readonly sock: HomaSocket, readonly servers: readonly Destination[]) {}

  serverFor(key: string): Destination { return this.servers[hash(key) % this.servers.length]!; }

  /** The value, or undefined when the key is absent. */
  async get(key: string): Promise<Uint8Array | undefined> {
    const m = await this.sock.call(this.serverFor(key), encodeRequest(KvOp.GET, key));
    try {
      const b = m.bytes();
      if (b[0] === KvStatus.NOT_FOUND) return undefined;
      if (b[0] !== KvStatus.OK) throw new Error(`GET ${key}: status ${b[0]}`);
      return b.subarray(1);
    } finally { m.release(); }
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    await this.simple('PUT', encodeRequest(KvOp.PUT, key, value), key);
  }

  /** True if the key was there. */
  async delete(key: string): Promise<boolean> {
    return (await this.simple('DELETE', encodeRequest(KvOp.DELETE, key), key)) === KvStatus.OK;
  }

  private async simple(what: string, req: Uint8Array, key: string): Promise<number> {
    const m = await this.sock.call(this.serverFor(key), req);
    const status = m.views[0]![0]!;
    m.release();
    if (status === KvStatus.BAD_REQUEST) throw new Error(`${what} ${key}: bad request`);
    return status;
  }
}
