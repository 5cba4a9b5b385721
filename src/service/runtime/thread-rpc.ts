import { ApiError, type ApiErrorCode } from '../../api/errors.ts';
import { type ErrorCode, isVigilError, VigilError } from '../../core/errors.ts';

/** what a Worker and a worker's parentPort have in common */
export interface RpcPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

type Handler = (...args: never[]) => unknown;

interface Call {
  readonly rpc: 'call';
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
}

interface Reply {
  readonly rpc: 'reply';
  readonly id: number;
  readonly result?: unknown;
  readonly error?: CrossingError;
}

/** an error as it crosses: the API's and Vigil's own keep their class, code and facts */
interface CrossingError {
  readonly kind: 'vigil' | 'api' | 'other';
  readonly message: string;
  readonly code?: string;
  readonly facts?: Readonly<Record<string, unknown>>;
}

const isCall = (m: unknown): m is Call => (m as Call | undefined)?.rpc === 'call';
const isReply = (m: unknown): m is Reply => (m as Reply | undefined)?.rpc === 'reply';

/**
 * Calls between the service's main thread and its API threads, both ways, over one port: each side
 * answers the methods it was given and calls the other's. Arguments and results are structured
 * clones; a VigilError or ApiError crosses as one (code, message, context or headers), any other
 * error as its message.
 */
export class ThreadRpc {
  readonly #port: RpcPort;
  readonly #handlers: Readonly<Record<string, Handler>>;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  #next = 0;
  #closed: string | undefined;
  readonly #listener = (message: unknown) => this.#receive(message);

  constructor(port: RpcPort, handlers: Readonly<Record<string, Handler>>) {
    this.#port = port;
    this.#handlers = handlers;
    port.on('message', this.#listener);
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.#closed !== undefined) return Promise.reject(new ApiError('VIGIL_UNAVAILABLE', this.#closed));
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#port.postMessage({ rpc: 'call', id, method, args } satisfies Call);
    });
  }

  /** fails every call still waiting, and any made later (the other side is gone), and stops listening */
  close(reason: string): void {
    this.#closed ??= reason;
    this.#port.off('message', this.#listener);
    for (const { reject } of this.#pending.values()) reject(new ApiError('VIGIL_UNAVAILABLE', reason));
    this.#pending.clear();
  }

  #receive(message: unknown): void {
    if (isReply(message)) {
      const waiting = this.#pending.get(message.id);
      if (waiting === undefined) return;
      this.#pending.delete(message.id);
      if (message.error === undefined) waiting.resolve(message.result);
      else waiting.reject(revive(message.error));
      return;
    }
    if (!isCall(message)) return;
    const handler = this.#handlers[message.method];
    const reply = (body: Omit<Reply, 'rpc' | 'id'>) =>
      this.#port.postMessage({ rpc: 'reply', id: message.id, ...body });
    if (handler === undefined) {
      reply({ error: { kind: 'other', message: `no method ${message.method} on the other thread` } });
      return;
    }
    Promise.resolve()
      .then(() => handler(...(message.args as never[])))
      .then(
        (result) => reply({ result }),
        (err: unknown) => reply({ error: flatten(err) }),
      );
  }
}

function flatten(err: unknown): CrossingError {
  if (isVigilError(err)) return { kind: 'vigil', code: err.code, message: err.message, facts: err.context };
  if (err instanceof ApiError) return { kind: 'api', code: err.code, message: err.message, facts: err.headers };
  return { kind: 'other', message: err instanceof Error ? err.message : String(err) };
}

function revive(error: CrossingError): Error {
  const facts = { ...error.facts };
  if (error.kind === 'vigil') return new VigilError(error.code as ErrorCode, error.message, facts);
  if (error.kind === 'api')
    return new ApiError(error.code as ApiErrorCode, error.message, facts as Record<string, string>);
  return new Error(error.message);
}
