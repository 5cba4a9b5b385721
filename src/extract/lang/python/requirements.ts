/**
 * requirements*.txt (pip "Requirements File Format"): one PEP 508 requirement per line, `#`
 * comments, `\` line continuations, options such as `-r other.txt`, `-e url`, `--hash=...`. Only a
 * requirement pinned to one release (`==1.2.3` or `===1.2.3`) names a package version to report;
 * ranges, wildcards (`==2.8.*`), URLs and editable installs do not.
 */
import { validName } from './pypi-package.ts';

export interface Requirement {
  readonly name: string;
  readonly version: string;
  readonly line: number;
}

const MAX_LOGICAL_LINE = 64 * 1024;

/** Physical lines joined at trailing backslashes, numbered by their first line. */
function logicalLines(text: string): Array<{ text: string; line: number }> {
  const out: Array<{ text: string; line: number }> = [];
  const physical = text.split('\n');
  let pending = '';
  let first = 0;
  for (let i = 0; i < physical.length; i++) {
    let line = physical[i]!.replace(/\r$/, '');
    if (pending === '') first = i + 1;
    // pip strips comments before joining continuations: " #" or "#" at the start
    const comment = line.search(/(^|\s)#/);
    if (comment !== -1) line = line.slice(0, comment);
    if (line.endsWith('\\') && pending.length < MAX_LOGICAL_LINE) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    out.push({ text: (pending + line).slice(0, MAX_LOGICAL_LINE), line: first });
    pending = '';
  }
  if (pending !== '') out.push({ text: pending, line: first });
  return out;
}

/** "name[extra] == 1.0 ; marker --hash=..." → the pinned requirement, if it is one */
export function parsePinned(text: string): { name: string; version: string } | undefined {
  let spec = text.trim();
  if (spec === '' || spec.startsWith('-')) return undefined;
  // per-requirement options (--hash, --global-option) end the requirement proper
  const option = spec.search(/\s--?[A-Za-z]/);
  if (option !== -1) spec = spec.slice(0, option);
  const marker = spec.indexOf(';');
  if (marker !== -1) spec = spec.slice(0, marker);
  // a URL requirement ("name @ https://…") is no registry release
  if (spec.includes('@')) return undefined;
  const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(===?)\s*([^\s,;]+)\s*$/.exec(spec);
  if (!match) return undefined;
  const [, name, , version] = match as unknown as [string, string, string, string];
  if (!validName(name) || version.includes('*')) return undefined;
  return { name, version };
}

export function parseRequirements(text: string): Requirement[] {
  const out: Requirement[] = [];
  for (const { text: line, line: number } of logicalLines(text)) {
    const pinned = parsePinned(line);
    if (pinned) out.push({ ...pinned, line: number });
  }
  return out;
}
