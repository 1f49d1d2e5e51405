/** Writes schema/carapace.schema.json from ConfigSchema (`npm run gen:schema`). Commit the result. */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CONFIG_JSON_SCHEMA_FILE, configJsonSchemaText } from '../src/config/index.js';

const target = fileURLToPath(new URL(`../${CONFIG_JSON_SCHEMA_FILE}`, import.meta.url));
await writeFile(target, configJsonSchemaText());
console.log(`wrote ${target}`);
