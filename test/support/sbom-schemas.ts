import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import ajvFormats from 'ajv-formats';

/** Validators for the official CycloneDX 1.6 and SPDX 2.3 JSON schemas vendored in src/report/testdata/schema. */
const schemaDir = new URL('../../src/report/testdata/schema/', import.meta.url);
const loadSchema = (name: string) => JSON.parse(readFileSync(new URL(name, schemaDir), 'utf8'));

const cyclonedx = new Ajv({ strict: false, allErrors: true });
ajvFormats.default(cyclonedx);
// the BOM schema $refs its siblings by the SNAPSHOT file names, relative to its own $id
cyclonedx.addSchema({
  ...loadSchema('spdx.SNAPSHOT.schema.json'),
  $id: 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json',
});
cyclonedx.addSchema({
  ...loadSchema('jsf-0.82.SNAPSHOT.schema.json'),
  $id: 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json',
});
export const validateCyclonedx = cyclonedx.compile(loadSchema('bom-1.6.SNAPSHOT.schema.json'));

const spdx = new Ajv2019({ strict: false, allErrors: true });
ajvFormats.default(spdx);
export const validateSpdx = spdx.compile(loadSchema('spdx-2.3.schema.json'));
