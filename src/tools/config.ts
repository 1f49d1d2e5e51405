import Value from 'typebox/value';
import { type DeepPartial, type ToolsConfig, ToolsSchema } from '../config/index.js';

/** Where tool factories read `tools.*` settings from: a loaded config, or a partial one (defaults filled). */
export interface ToolsConfigSource {
  tools?: DeepPartial<ToolsConfig> | ToolsConfig | undefined;
}

/** The `tools` section with every schema default applied (a loaded config already has them). */
export function toolsConfig(source: ToolsConfigSource | undefined): ToolsConfig {
  return Value.Default(ToolsSchema, Value.Clone(source?.tools ?? {})) as ToolsConfig;
}
