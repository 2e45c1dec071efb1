// Writes schema/lbguard.config.schema.json from the zod schema, for editors (the example config
// points yaml-language-server at it). A unit test fails when the committed file is stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigJsonSchema } from '../lib/config/schema-docs.ts';

const dir = fileURLToPath(new URL('../schema/', import.meta.url));
const target = `${dir}lbguard.config.schema.json`;
mkdirSync(dir, { recursive: true });
writeFileSync(target, renderConfigJsonSchema());
console.log(`wrote ${target}`);
