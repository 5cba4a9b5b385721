import { isCyclonedx, parseCyclonedxVex } from './cyclonedx-vex.ts';
import { isOpenVex, parseOpenVex } from './openvex.ts';
import { checkPolicySize, policyError } from './policy-text.ts';
import type { VexStatement } from './types.ts';

/**
 * Reads a `--vex` file: OpenVEX 0.2.0 JSON or CycloneDX (1.4-1.6) JSON with analysed
 * vulnerabilities. Throws VIGIL_POLICY_INVALID naming the file and the field at fault.
 */
export function parseVex(text: string, file: string): VexStatement[] {
  checkPolicySize(text, file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw policyError(file, '', `not JSON: ${(err as Error).message}`, err);
  }
  if (isOpenVex(value)) return parseOpenVex(value, file);
  if (isCyclonedx(value)) return parseCyclonedxVex(value, file);
  throw policyError(file, '', 'neither OpenVEX (@context https://openvex.dev/ns/...) nor CycloneDX (bomFormat)');
}
