import { isPlainObject } from './merge.js';
import { ConfigSchema } from './schema.js';

/** Where the generated schema is committed (relative to the repository root). */
export const CONFIG_JSON_SCHEMA_FILE = 'schema/carapace.schema.json';

function toEditorSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toEditorSchema);
  if (!isPlainObject(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = toEditorSchema(v);
  // A key with a default may be left out of the file: editors must not demand it.
  const props = isPlainObject(node.properties) ? node.properties : {};
  if (Array.isArray(node.required)) {
    const required = node.required.filter((k) => !(isPlainObject(props[k]) && 'default' in props[k]));
    if (required.length) out.required = required;
    else delete out.required;
  }
  return out;
}

/**
 * ConfigSchema as plain JSON Schema for editors (`"$schema": "…/carapace.schema.json"` in carapace.json):
 * every description, default and `x-reload` / `x-secret` annotation kept; keys that have a default are not
 * required. `npm run gen:schema` writes it to CONFIG_JSON_SCHEMA_FILE.
 */
export function configJsonSchema(): Record<string, unknown> {
  const body = toEditorSchema(JSON.parse(JSON.stringify(ConfigSchema))) as Record<string, unknown>;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Carapace configuration (carapace.json)',
    description:
      'The configuration of a Carapace gateway. JSON5 is accepted; $include and environment placeholders are expanded when loading.',
    ...body,
  };
}

/** The exact text of the committed schema file (2-space JSON and a final newline). */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
