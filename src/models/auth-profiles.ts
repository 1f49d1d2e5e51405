import Type, { type Static } from 'typebox';
import { type ConfigEnv, type ModelProvider, type ReadTextFile, resolveSecret } from '../config/index.js';
import { compileValidator, formatIssues } from '../protocol/index.js';
import { errnoCode, errorMessage } from '../shared/index.js';

/** The file of an agent's own API keys: `agents/<agentId>/agent/auth-profiles.json` (0600). */
export const AUTH_PROFILES_FILE = 'auth-profiles.json';

export const AuthProfilesFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    profiles: Type.Array(
      Type.Object(
        {
          id: Type.String({ minLength: 1 }),
          provider: Type.String({ minLength: 1 }),
          apiKey: Type.String({ minLength: 1 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type AuthProfilesFile = Static<typeof AuthProfilesFileSchema>;

const validateFile = compileValidator<AuthProfilesFile>(AuthProfilesFileSchema);

/** One API key of a provider. `id` is a label safe to show; `apiKey` undefined means keyless. */
export interface AuthProfile {
  id: string;
  providerId: string;
  apiKey: string | undefined;
}

/** The keys of one provider, in the order they are tried, and why any could not be loaded. */
export interface ProviderKeys {
  profiles: AuthProfile[];
  /** Secret-free explanations (an unset variable, a missing file, an invalid profiles file). */
  problems: string[];
}

export interface LoadKeysOptions {
  providerId: string;
  provider: ModelProvider;
  env: ConfigEnv;
  readFile: ReadTextFile;
  /** The agent's auth profiles file; absent or missing means none. */
  profilesPath?: string | undefined;
}

async function readProfilesFile(path: string, readFile: ReadTextFile, problems: string[]) {
  let text: string;
  try {
    text = await readFile(path);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') problems.push(`cannot read ${path}: ${errnoCode(err) ?? 'error'}`);
    return [];
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    problems.push(`${path} is not valid JSON`);
    return [];
  }
  if (!validateFile.check(doc)) {
    problems.push(`${path} is invalid: ${formatIssues(validateFile.issues(doc))}`);
    return [];
  }
  return doc.profiles;
}

/**
 * The keys of a provider: `apiKey`, then `apiKeys[]` from config (secret refs resolved now, so a rotated
 * file or variable is picked up), then the agent's auth profiles file. A provider with no key configured
 * anywhere gets one keyless profile (local servers need none).
 */
export async function loadProviderKeys(options: LoadKeysOptions): Promise<ProviderKeys> {
  const { providerId, provider, env, readFile } = options;
  const problems: string[] = [];
  const profiles: AuthProfile[] = [];
  const refs = [
    ...(provider.apiKey !== undefined ? [{ id: `${providerId}:apiKey`, ref: provider.apiKey }] : []),
    ...(provider.apiKeys ?? []).map((ref, i) => ({ id: `${providerId}:apiKeys[${i}]`, ref })),
  ];
  for (const { id, ref } of refs) {
    try {
      profiles.push({ id, providerId, apiKey: await resolveSecret(ref, env, readFile) });
    } catch (err) {
      problems.push(`models.providers.${providerId} key ${id}: ${errorMessage(err)}`);
    }
  }
  if (options.profilesPath) {
    for (const p of await readProfilesFile(options.profilesPath, readFile, problems)) {
      if (p.provider === providerId)
        profiles.push({ id: `${providerId}:${p.id}`, providerId, apiKey: p.apiKey });
    }
  }
  if (profiles.length === 0 && refs.length === 0 && problems.length === 0) {
    profiles.push({ id: `${providerId}:none`, providerId, apiKey: undefined });
  }
  return { profiles, problems };
}

/** Why a key is resting. */
export type CooldownReason = 'auth' | 'rate_limit';

/** Keys resting after a 401/403 or a 429, by profile id. In memory, per model runtime (one per agent). */
export class CooldownBook {
  readonly #until = new Map<string, { until: number; reason: CooldownReason }>();

  /** Rest `profileId` until `until` (epoch ms); an earlier time never shortens a longer rest. */
  rest(profileId: string, until: number, reason: CooldownReason): void {
    const prev = this.#until.get(profileId);
    if (!prev || prev.until < until) this.#until.set(profileId, { until, reason });
  }

  /** True while `profileId` rests at `now`. */
  resting(profileId: string, now: number): boolean {
    const entry = this.#until.get(profileId);
    if (!entry) return false;
    if (entry.until > now) return true;
    this.#until.delete(profileId);
    return false;
  }

  /** Resting profiles at `now` (for status output). */
  list(now: number): { profile: string; until: number; reason: CooldownReason }[] {
    return [...this.#until.entries()]
      .filter(([, e]) => e.until > now)
      .map(([profile, e]) => ({ profile, until: e.until, reason: e.reason }));
  }
}
