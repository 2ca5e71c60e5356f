// sim/experiments/stack.ts — what an experiment needs from a transport under test: an
// Endpoint per host (the network seam), a way to submit a message, and word of its arrival.
//
// A stack is the pluggable part of an experiment: the Homa reference model, the RTL engine,
// or the simple transports in this folder all plug in here. The runner builds RPCs (request
// then response) out of one-way messages, so a stack only has to move messages.

import type { Endpoint } from '../net/endpoint.ts';
import type { HostAddress } from '../net/frame.ts';

export interface StackEvents {
  /** Message `messageId` has been received in full by its destination. */
  messageDelivered(messageId: number): void;
  /**
   * The destination has seen the first packet of `messageId` (optional: used to measure
   * receiver bandwidth wasted while a message is partly received).
   */
  messageStarted?(messageId: number): void;
}

/**
 * What a message is to the application: a one-way message, an RPC request (a response will
 * follow), or the response to request `requestId` (sent by the host that received it).
 */
export type MessageRole = { readonly kind: 'oneway' } | { readonly kind: 'request' } | { readonly kind: 'response'; readonly requestId: number };

export interface StackHost {
  readonly endpoint: Endpoint;
  /** Start sending `length` bytes to host `dstHost`; `messageId` is unique in the network. */
  sendMessage(messageId: number, dstHost: number, length: number, role: MessageRole): void;
}

/** One network's worth of a stack (state shared by its hosts lives here). */
export interface StackInstance {
  /** Called for each host at start and again after a crash-restart. */
  createHost(address: HostAddress, events: StackEvents): StackHost;
}

export interface Stack {
  /** Configuration label shown in reports, e.g. "Homa" or "Basic". */
  readonly name: string;
  /** Largest message the stack accepts. */
  readonly maxMessageBytes: number;
  /** Whether the stack calls `messageStarted` (otherwise creation time stands in for it). */
  readonly reportsMessageStart: boolean;
  /** A fresh instance for one network of `hostCount` hosts. */
  instantiate(hostCount: number): StackInstance;
  /**
   * Bytes the stack puts on the wire for a message of `length` (data frames with headers,
   * padding and per-frame overhead, plus its control packets such as grants). The load
   * definition (arrivals.ts) divides by this.
   */
  wireBytesPerMessage(length: number): number;
}
