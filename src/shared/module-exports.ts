/**
 * The exports of a package loaded with `import()`. Bundled by esbuild, a CommonJS package's exports sit
 * on `default` only; run from source (Node, Vite) they are also named. `probe` is an export the caller
 * needs: the namespace itself when it has it, else its `default`.
 */
export function moduleExports<T extends object>(mod: T, probe: keyof T): T {
  if ((mod as Record<PropertyKey, unknown>)[probe] !== undefined) return mod;
  return (mod as { default?: T }).default ?? mod;
}
