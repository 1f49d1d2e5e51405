import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/** One validation problem: a JSON-pointer-like path (`root`, `/client/id`) and what was wrong there. */
export interface ValidationIssue {
  path: string;
  message: string;
}

export interface Validator<T> {
  check(value: unknown): value is T;
  /** Every problem found, deduplicated and in a stable order; empty when valid. */
  issues(value: unknown): ValidationIssue[];
}

interface RawError {
  keyword: string;
  instancePath: string;
  message: string;
  params: Record<string, unknown>;
}

function describe(err: RawError): ValidationIssue | undefined {
  const path = err.instancePath === '' ? 'root' : err.instancePath;
  switch (err.keyword) {
    case 'boolean':
      // Reported once more, better, by the parent's additionalProperties error.
      return undefined;
    case 'additionalProperties': {
      const names = (err.params.additionalProperties as string[] | undefined) ?? [];
      return { path, message: names.map((n) => `unexpected property '${n}'`).join(', ') };
    }
    case 'required': {
      const names = (err.params.requiredProperties as string[] | undefined) ?? [];
      return {
        path,
        message: names.map((n) => `missing required property '${n}'`).join(', ') || err.message,
      };
    }
    case 'const':
      return { path, message: `must be ${JSON.stringify(err.params.allowedValue)}` };
    default:
      return { path, message: err.message };
  }
}

/** Compile a TypeBox schema once into a checker that also explains failures. */
export function compileValidator<T>(schema: TSchema): Validator<T> {
  const compiled = Compile(schema);
  return {
    check: (value: unknown): value is T => compiled.Check(value),
    issues(value: unknown): ValidationIssue[] {
      const seen = new Set<string>();
      const out: ValidationIssue[] = [];
      for (const raw of compiled.Errors(value) as Iterable<RawError>) {
        const issue = describe(raw);
        if (!issue) continue;
        const key = `${issue.path}\u0000${issue.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(issue);
      }
      return out;
    },
  };
}

/** `at root: unexpected property 'bogus'; at /limit: must be integer` */
export function formatIssues(issues: readonly ValidationIssue[], max = 5): string {
  const shown = issues.slice(0, max).map((i) => `at ${i.path}: ${i.message}`);
  if (issues.length > max) shown.push(`and ${issues.length - max} more`);
  return shown.join('; ');
}
