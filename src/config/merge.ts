/** A plain JSON object (not an array, not null, not a class instance). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Assign an own property even for names like `__proto__`, so parsed input can never reach a prototype. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy of JSON-like data (objects, arrays, primitives). */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => cloneJson(v)) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, cloneJson(v));
    return out as T;
  }
  return value;
}

/**
 * Layer `over` on top of `base`: objects merge key by key, everything else (arrays included) is replaced.
 * `undefined` in `over` leaves `base` alone. Neither input is modified.
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return cloneJson(base);
  if (!isPlainObject(base) || !isPlainObject(over)) return cloneJson(over);
  const out = cloneJson(base);
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    setOwn(out, k, deepMerge(Object.hasOwn(out, k) ? out[k] : undefined, v));
  }
  return out;
}

/**
 * RFC 7396 JSON Merge Patch: objects merge recursively, `null` deletes a key, anything else (arrays
 * included) replaces. Returns a new value; neither input is modified.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return cloneJson(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? cloneJson(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else setOwn(out, k, applyMergePatch(Object.hasOwn(out, k) ? out[k] : undefined, v));
  }
  return out;
}
