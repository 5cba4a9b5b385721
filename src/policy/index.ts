/** The scan policy: filters, `--fail-on`, ignore files and VEX, as pure functions over findings. */
export { applyPolicy, statementCovers } from './apply.ts';
export { parseIgnoreFile } from './ignore-file.ts';
export { imageIdentity } from './image-identity.ts';
export { MAX_POLICY_BYTES } from './policy-text.ts';
export { purlMatches } from './purl-match.ts';
export { readIgnoreFile, readVexFiles } from './read-files.ts';
export {
  atOrAbove,
  compareSeverity,
  dropUnfixed,
  filterBySeverity,
  parseSeverity,
  parseSeverityList,
  shouldFail,
} from './severity.ts';
export type {
  IgnoreRule,
  ImageIdentity,
  PolicyOptions,
  PolicyResult,
  Suppression,
  VexStatement,
  VexStatus,
} from './types.ts';
export { parseVex } from './vex.ts';
