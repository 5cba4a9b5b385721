import { readFile, stat } from 'node:fs/promises';
import { parseIgnoreFile } from './ignore-file.ts';
import { MAX_POLICY_BYTES, policyError } from './policy-text.ts';
import type { IgnoreRule, VexStatement } from './types.ts';
import { parseVex } from './vex.ts';

/** `--ignore-file PATH`: the file's rules; the format follows the file name (ignore-file.ts). */
export async function readIgnoreFile(path: string): Promise<IgnoreRule[]> {
  return parseIgnoreFile(await readPolicyText(path), path);
}

/** `--vex PATH` (repeatable): every statement of every file, in the order given; later files win ties. */
export async function readVexFiles(paths: readonly string[]): Promise<VexStatement[]> {
  const statements: VexStatement[] = [];
  for (const path of paths) statements.push(...parseVex(await readPolicyText(path), path));
  return statements;
}

/** Reads a policy file after checking its size, so that a huge or endless file is never loaded. */
async function readPolicyText(path: string): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw policyError(path, '', 'is not a regular file');
    if (info.size > MAX_POLICY_BYTES) throw policyError(path, '', `larger than ${MAX_POLICY_BYTES} bytes`);
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof Error && err.name === 'VigilError') throw err;
    throw policyError(
      path,
      '',
      `cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      err,
    );
  }
}
