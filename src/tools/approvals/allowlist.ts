import { basename } from 'node:path';
import { type BinaryFingerprint, sameBinary } from './resolve.js';
import { deniedOption, interpreterInlineReason, isInterpreter } from './safe-options.js';
import { parseShell } from './shell-parse.js';

/**
 * One allowlist rule. `prefix` rules (the config's `tools.exec.allowlist`, e.g. `git status`) match the
 * effective program (after unwrapping) resolved through PATH to the same real file, followed by the
 * rule's leading arguments. `exact` rules (written by "allow always") match the executed argv exactly
 * and, when `binaries` are given, only while every program it runs is the same unchanged file.
 */
export interface AllowlistRule {
  argv: string[];
  match: 'prefix' | 'exact';
  /** Pinned fingerprints: the executed program, then the effective one if a wrapper runs it. */
  binaries?: BinaryFingerprint[];
  /** Applies to this agent only; absent = every agent. */
  agentId?: string;
  source: 'config' | 'store';
  /** The rule as shown to people (`git status`). */
  label: string;
}

/** A command as resolved for matching. */
export interface ResolvedForMatch {
  execArgv: readonly string[];
  effective: readonly string[];
  /** Fingerprints of every program run, in order (executed program first, effective program last). */
  binaries: readonly BinaryFingerprint[];
  /** A refused wrapper is in the way: prefix rules cannot match. */
  refusedWrapper: boolean;
}

export type MatchResult =
  | { matched: true; rule: AllowlistRule }
  | { matched: false; code: 'not-allowlisted' | 'interpreter-inline' | 'denied-option'; detail: string };

/**
 * Split a rule string (`git status`, `/usr/bin/make test`) into argv with shell quoting rules. Returns
 * undefined for anything that is not one static simple command, or whose program is a relative path.
 */
export function parseRulePattern(pattern: string): string[] | undefined {
  const parsed = parseShell(pattern);
  if (parsed.flags.length > 0 || parsed.list.length !== 1) return undefined;
  const pipeline = parsed.list[0]!.pipeline;
  if (pipeline.length !== 1) return undefined;
  const cmd = pipeline[0]!;
  if (cmd.redirects.length > 0 || cmd.argv.length === 0) return undefined;
  const program = cmd.argv[0]!;
  if (program.includes('/') && !program.startsWith('/')) return undefined;
  return cmd.argv;
}

/** Prefix rules from the config's allowlist strings; malformed strings are skipped. */
export function configRules(patterns: readonly string[]): AllowlistRule[] {
  const rules: AllowlistRule[] = [];
  for (const label of patterns) {
    const argv = parseRulePattern(label);
    if (argv) rules.push({ argv, match: 'prefix', source: 'config', label });
  }
  return rules;
}

function startsWith(argv: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((word, i) => argv[i] === word);
}

/**
 * Match a resolved command against the rules. `resolveRule` resolves a rule's program through the same
 * PATH (cached by the caller). Among misses, the most specific reason is kept.
 */
export async function matchRules(
  cmd: ResolvedForMatch,
  rules: readonly AllowlistRule[],
  agentId: string,
  resolveRule: (program: string) => Promise<BinaryFingerprint | undefined>,
): Promise<MatchResult> {
  let best: MatchResult = {
    matched: false,
    code: 'not-allowlisted',
    detail: `${basename(cmd.effective[0] ?? '')} is not on the allowlist`,
  };
  for (const rule of rules) {
    if (rule.agentId !== undefined && rule.agentId !== agentId) continue;
    if (rule.match === 'exact') {
      if (exactMatches(cmd, rule)) return { matched: true, rule };
      continue;
    }
    if (cmd.refusedWrapper) continue;
    const result = await prefixMatch(cmd, rule, resolveRule);
    if (result.matched) return result;
    if (result.code !== 'not-allowlisted') best = result;
  }
  return best;
}

function exactMatches(cmd: ResolvedForMatch, rule: AllowlistRule): boolean {
  if (cmd.execArgv.length !== rule.argv.length || !startsWith(cmd.execArgv, rule.argv)) return false;
  if (!rule.binaries) return true;
  return (
    rule.binaries.length === cmd.binaries.length &&
    rule.binaries.every((b, i) => sameBinary(b, cmd.binaries[i]))
  );
}

async function prefixMatch(
  cmd: ResolvedForMatch,
  rule: AllowlistRule,
  resolveRule: (program: string) => Promise<BinaryFingerprint | undefined>,
): Promise<MatchResult> {
  const miss: MatchResult = { matched: false, code: 'not-allowlisted', detail: '' };
  const effective = cmd.effective;
  const program = rule.argv[0]!;
  const name = basename(program);
  // Multi-call binaries dispatch on argv[0], so the name must agree as well as the file.
  if (basename(effective[0] ?? '') !== name) return miss;
  const effectiveBinary = cmd.binaries[cmd.binaries.length - 1];
  const ruleBinary = rule.binaries?.[rule.binaries.length - 1] ?? (await resolveRule(program));
  if (!effectiveBinary || !ruleBinary) return miss;
  if (rule.binaries ? !sameBinary(ruleBinary, effectiveBinary) : ruleBinary.path !== effectiveBinary.path) {
    return miss;
  }
  if (!startsWith(effective.slice(1), rule.argv.slice(1))) return miss;
  const rest = effective.slice(rule.argv.length);
  const bare = rule.argv.length === 1;
  if (bare && isInterpreter(name)) {
    const reason = interpreterInlineReason(rest);
    if (reason) {
      return { matched: false, code: 'interpreter-inline', detail: `${name}: ${reason} needs its own entry` };
    }
  }
  const denied = deniedOption(name, rest, bare);
  if (denied) return { matched: false, code: 'denied-option', detail: `${name}: ${denied} is not covered` };
  return { matched: true, rule };
}
