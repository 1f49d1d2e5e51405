import type { Document, LineCounter } from 'yaml';
import { compileValidator, type ValidationIssue } from '../protocol/index.js';
import { moduleExports } from '../shared/index.js';
import { type SkillFrontmatter, SkillFrontmatterSchema } from './types.js';

/** The result of parsing one SKILL.md: the frontmatter and body, or where and why it failed. */
export type ParsedSkillFile =
  | { ok: true; frontmatter: SkillFrontmatter; body: string }
  | { ok: false; line: number; message: string };

const validator = () => compileValidator<SkillFrontmatter>(SkillFrontmatterSchema);
type FrontmatterValidator = ReturnType<typeof validator>;

type Yaml = typeof import('yaml');

const FENCE = /^---\s*$/;
const CLOSE = /^(---|\.\.\.)\s*$/;

/** The file line (1-based) of the value at a validation path, or the nearest parent that exists. */
function lineOf(doc: Document, lines: LineCounter, issue: ValidationIssue, yaml: Yaml): number {
  const segments =
    issue.path === 'root'
      ? []
      : issue.path
          .split('/')
          .slice(1)
          .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  for (let n = segments.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    if (yaml.isNode(node) && node.range) return lines.linePos(node.range[0]).line + 1;
  }
  return 2;
}

function describeIssue(issue: ValidationIssue): string {
  const field = issue.path === 'root' ? 'frontmatter' : issue.path.slice(1).replaceAll('/', '.');
  if (issue.path === '/name' && /pattern/.test(issue.message)) {
    return 'name: use 1-64 lowercase letters, digits and hyphens, starting with a letter or digit';
  }
  return `${field}: ${issue.message}`;
}

/**
 * Split SKILL.md into YAML frontmatter (between `---` lines at the top) and Markdown body, and check the
 * frontmatter against SkillFrontmatterSchema. Never throws: a problem comes back with its 1-based line in
 * the file. Pass one `check` to parse many files with a single compiled validator. The YAML parser is
 * loaded with the first file (the gateway starts without it).
 */
export async function parseSkillFile(
  text: string,
  check: FrontmatterValidator = validator(),
): Promise<ParsedSkillFile> {
  const yaml = moduleExports(await import('yaml'), 'parseDocument');
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (!FENCE.test(lines[0] ?? '')) {
    return {
      ok: false,
      line: 1,
      message: "SKILL.md must start with a '---' line opening its YAML frontmatter",
    };
  }
  const end = lines.findIndex((l, i) => i > 0 && CLOSE.test(l));
  if (end < 0) return { ok: false, line: 1, message: "the frontmatter has no closing '---' line" };
  const counter = new yaml.LineCounter();
  const doc = yaml.parseDocument(lines.slice(1, end).join('\n'), {
    lineCounter: counter,
    prettyErrors: false,
    uniqueKeys: true,
  });
  const err = doc.errors[0];
  if (err) {
    const line = counter.linePos(err.pos[0]).line + 1;
    return { ok: false, line, message: `invalid YAML: ${err.message.split('\n')[0]}` };
  }
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, line: 2, message: 'the frontmatter must be a mapping with name and description' };
  }
  const issues = check.issues(value);
  const first = issues[0];
  if (first) return { ok: false, line: lineOf(doc, counter, first, yaml), message: describeIssue(first) };
  return { ok: true, frontmatter: value as SkillFrontmatter, body: lines.slice(end + 1).join('\n') };
}

/** A reusable frontmatter validator (compiled once per registry). */
export function createFrontmatterValidator(): FrontmatterValidator {
  return validator();
}
