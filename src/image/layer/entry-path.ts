/**
 * Tar entry names as the image root sees them. A layer is untrusted input: names like
 * "../../etc/passwd" or "/etc/shadow" must never reach code that joins them onto a local path, so
 * they are resolved lexically here, once, the way containerd's archive.Apply does (an absolute name
 * is relative to the root; ".." may climb only inside it). Names that would leave the root are
 * rejected, not clamped: clamping would let a hostile layer overwrite an unrelated path.
 */
export type EntryPathResult =
  | { readonly ok: true; readonly path: string }
  /** the root directory itself ("./", "/"): not an entry a consumer needs, dropped silently */
  | { readonly ok: false; readonly root: true }
  | { readonly ok: false; readonly root: false; readonly reason: string };

export function normalizeEntryPath(raw: string): EntryPathResult {
  if (raw.length === 0) return { ok: false, root: false, reason: 'empty entry name' };
  if (raw.includes('\0')) return { ok: false, root: false, reason: 'entry name contains a NUL byte' };
  const segments: string[] = [];
  for (const segment of raw.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return { ok: false, root: false, reason: 'entry name escapes the image root' };
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  if (segments.length === 0) return { ok: false, root: true };
  return { ok: true, path: segments.join('/') };
}
