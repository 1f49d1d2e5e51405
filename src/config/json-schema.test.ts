import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONFIG_JSON_SCHEMA_FILE, configJsonSchema, configJsonSchemaText } from './index.js';

interface Node {
  properties?: Record<string, Node>;
  required?: string[];
  default?: unknown;
  description?: string;
  'x-reload'?: string;
  'x-secret'?: boolean;
  anyOf?: Node[];
}

describe('configJsonSchema', () => {
  it('matches the committed schema/carapace.schema.json (run `npm run gen:schema` after changing the schema)', async () => {
    const committed = await readFile(new URL(`../../${CONFIG_JSON_SCHEMA_FILE}`, import.meta.url), 'utf8');
    expect(committed).toBe(configJsonSchemaText());
    expect(JSON.parse(committed)).toEqual(configJsonSchema());
  });

  it('keeps descriptions, defaults and annotations, and does not require keys that have defaults', () => {
    const schema = configJsonSchema() as unknown as Node & { $schema: string };
    expect(schema.$schema).toContain('json-schema.org');
    expect(schema.required).toBeUndefined();
    const gateway = schema.properties!.gateway!;
    expect(gateway.required).toBeUndefined();
    expect(gateway.properties!.port).toMatchObject({ default: 18789, 'x-reload': 'restart', maximum: 65535 });
    expect(gateway.properties!.bind!.description).toContain('loopback');
    const token = gateway.properties!.auth!.properties!.token!;
    expect(token.anyOf![0]!['x-secret']).toBe(true);
    const binding = (schema.properties!.bindings as { items: Node }).items;
    expect(binding.required).toEqual(['agentId', 'match']);
    expect(JSON.stringify(schema)).not.toContain('~kind');
  });
});
