// host-lib/socket-options.ts — the options each socket call takes (homa-protocol.md §2.1,
// §2.2) and the list of their names, against which arguments.ts checkOptions checks a call:
// an option that does not exist is EINVAL naming it.

export interface SendOptions {
  /** Completion cookie, echoed with the response or the error (§2.2). */
  cookie?: bigint;
  /** HOMA_SENDMSG_PRIVATE: the response is only returned by receive({ id }) (§2.1). */
  private?: boolean;
}

export interface CallOptions {
  /** Completion cookie, echoed with the response or carried by the RpcError. */
  cookie?: bigint;
  /** Give up when it aborts: the call rejects with AbortError (ECANCELED) and the RPC is aborted. */
  signal?: AbortSignal;
}

export interface ReceiveOptions {
  /** Wait for this private client RPC instead of any shared message (§2.2). */
  id?: bigint;
  /**
   * Give up after this much device time with EAGAIN; 0 = don't wait at all (MSG_DONTWAIT).
   * Default: wait as long as it takes.
   */
  timeoutNs?: number;
  /** Stop waiting when it aborts (AbortError, ECANCELED); the RPC itself goes on. */
  signal?: AbortSignal;
}

export interface RequestsOptions {
  /** End the iteration when it aborts (as a close does). */
  signal?: AbortSignal;
}

export const SEND_OPTIONS = ['cookie', 'private'] as const;
export const CALL_OPTIONS = ['cookie', 'signal'] as const;
export const RECEIVE_OPTIONS = ['id', 'timeoutNs', 'signal'] as const;
export const REQUESTS_OPTIONS = ['signal'] as const;
