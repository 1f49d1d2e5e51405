/**
 * True when `value` nests objects or arrays more than `max` levels deep (a flat object is one level).
 * Iterative, so hostile input (10,000 levels fit easily in a frame or a config file) cannot overflow the
 * stack here, and callers can refuse it before any recursive code (merge, hash, validation) sees it.
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, depth] = next;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
