import type { TSchema } from 'typebox';
import type { MethodSpec, Scope, Validator } from '../protocol/index.js';
import { compileValidator } from '../protocol/index.js';
import type { IdempotencyRecord } from './idempotency.js';

/** What a handler knows about the caller. */
export interface CallerInfo {
  connId: string;
  clientId: string;
  clientMode: string;
  role: string;
  scopes: readonly string[];
  remoteAddress: string;
}

export interface MethodContext {
  caller: CallerInfo;
  /** Send a first response now (e.g. `{status:'accepted'}`); the handler's return value follows later. */
  accept(payload: unknown): void;
  /** Aborted when the connection closes or the gateway stops. */
  signal: AbortSignal;
}

export type MethodHandler = (params: never, ctx: MethodContext) => unknown;

/** How a side-effecting method uses the idempotency store. */
export interface IdempotencyPolicy {
  /** The request must carry `idempotencyKey`. */
  required: boolean;
  /** The answer to a repeat while the first call is still running. */
  inFlight?: (record: IdempotencyRecord) => unknown;
}

export interface MethodDefinition {
  spec: MethodSpec;
  handler: MethodHandler;
  idempotency?: IdempotencyPolicy;
}

export interface RegisteredMethod extends MethodDefinition {
  name: string;
  scope: Scope;
  params: Validator<unknown>;
}

/** Methods by name. Each declares its scope and schemas (from protocol/) and a handler. */
export class MethodRegistry {
  readonly #methods = new Map<string, RegisteredMethod>();

  register<P extends TSchema>(
    name: string,
    def: MethodDefinition & { spec: MethodSpec & { params: P } },
  ): void {
    if (this.#methods.has(name)) throw new Error(`method ${name} registered twice`);
    this.#methods.set(name, {
      ...def,
      name,
      scope: def.spec.scope,
      params: compileValidator(def.spec.params),
    });
  }

  get(name: string): RegisteredMethod | undefined {
    return this.#methods.get(name);
  }

  names(): string[] {
    return [...this.#methods.keys()];
  }
}
