import { VigilError } from '../core/errors.ts';
import type { ImageRef, Platform, Transport } from '../core/types.ts';

/**
 * Image references as people type them. The registry form follows the grammar of
 * github.com/distribution/reference (regexp.go, normalize.go):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain "/"] path-component ["/" path-component]*
 *   domain    := host [":" port]       host: domain-name | IPv4 | "[" IPv6 "]"
 *   path-component := [a-z0-9]+ ( ( [_.] | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag       := [\w][\w.-]{0,127}
 *
 * The first "/"-separated component is a domain only when it contains "." or ":", is "localhost",
 * or has upper-case letters; otherwise the name lives on Docker Hub, where single-component names
 * sit under "library/".
 */

/** API host of Docker Hub; "docker.io" and "index.docker.io" are display names for it. */
export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', DOCKER_HUB_REGISTRY]);
const DOCKER_HUB_DISPLAY = 'docker.io';

const NAME_MAX_LENGTH = 255;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_BRACKETED = /^\[[a-fA-F0-9:.]+(?:%[\w.-]+)?\]$/;
const PORT = /^[0-9]{1,5}$/;
/** OCI image-spec descriptor.md: registered algorithms and their encodings. */
const DIGEST_ENCODINGS: Readonly<Record<string, RegExp>> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
};
/** OCI image-layout annotation org.opencontainers.image.ref.name grammar (annotations.md). */
const OCI_REF_NAME = /^[A-Za-z0-9._-]+(?:[:@/+][A-Za-z0-9._-]+)*$/;

function invalid(input: string, reason: string): VigilError {
  return new VigilError('VIGIL_IMAGE_REF_INVALID', `invalid image reference "${clip(input)}": ${reason}`, {
    reference: clip(input),
  });
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Throws VIGIL_IMAGE_REF_INVALID unless `digest` is "sha256:<64 hex>" or "sha512:<128 hex>". */
export function checkDigest(digest: string, input = digest): void {
  const colon = digest.indexOf(':');
  if (colon <= 0) throw invalid(input, `digest "${clip(digest)}" is not ALGORITHM:HEX`);
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  if (!/^[A-Za-z][A-Za-z0-9]*(?:[+._-][A-Za-z][A-Za-z0-9]*)*$/.test(algorithm)) {
    throw invalid(input, `digest algorithm "${clip(algorithm)}" is malformed`);
  }
  const encoding = DIGEST_ENCODINGS[algorithm];
  if (encoding === undefined) {
    throw invalid(input, `digest algorithm "${clip(algorithm)}" is not supported (use sha256 or sha512)`);
  }
  if (!encoding.test(encoded)) {
    const want = algorithm === 'sha256' ? 64 : 128;
    throw invalid(input, `${algorithm} digest must be ${want} lower-case hex characters`);
  }
}

export function isDigest(value: string): boolean {
  try {
    checkDigest(value);
    return true;
  } catch {
    return false;
  }
}

function checkDomain(domain: string, input: string): void {
  let host = domain;
  let port: string | undefined;
  if (domain.startsWith('[')) {
    const close = domain.indexOf(']');
    if (close < 0) throw invalid(input, `registry host "${domain}" has an unclosed "["`);
    host = domain.slice(0, close + 1);
    const rest = domain.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw invalid(input, `unexpected "${rest}" after IPv6 address`);
      port = rest.slice(1);
    }
    if (!IPV6_BRACKETED.test(host)) throw invalid(input, `"${host}" is not an IPv6 address`);
  } else {
    const colon = domain.indexOf(':');
    if (colon >= 0) {
      host = domain.slice(0, colon);
      port = domain.slice(colon + 1);
    }
    if (host === '') throw invalid(input, 'registry host is empty');
    for (const part of host.split('.')) {
      if (!DOMAIN_COMPONENT.test(part)) throw invalid(input, `registry host "${host}" is not a valid host name`);
    }
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65535)) {
    throw invalid(input, `registry port "${port}" is not a number from 0 to 65535`);
  }
}

function splitDomain(name: string): { domain?: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { remainder: name };
  const first = name.slice(0, slash);
  const isDomain = first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first;
  return isDomain ? { domain: first, remainder: name.slice(slash + 1) } : { remainder: name };
}

/** Parses the registry form: `[host[:port]/]path[:tag][@digest]`. */
function parseRegistryReference(text: string, original: string): ImageRef {
  if (text === '') throw invalid(original, 'it is empty');
  if (/\s/.test(text)) throw invalid(original, 'it contains white space');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    checkDigest(digest, original);
  }
  let tag: string | undefined;
  // A ":" after the last "/" starts the tag; earlier ones belong to a host:port.
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/') && !(rest.startsWith('[') && lastColon < rest.indexOf(']'))) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) {
      throw invalid(original, `tag "${clip(tag)}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
    }
  }
  if (rest === '') throw invalid(original, 'repository name is empty');
  if (rest.length > NAME_MAX_LENGTH) throw invalid(original, `repository name is longer than ${NAME_MAX_LENGTH}`);
  const { domain, remainder } = splitDomain(rest);
  if (domain !== undefined) checkDomain(domain, original);
  if (remainder === '') throw invalid(original, 'repository path is empty');
  for (const component of remainder.split('/')) {
    if (component === '') throw invalid(original, 'repository path has an empty component');
    if (!PATH_COMPONENT.test(component)) {
      const hint =
        component.toLowerCase() !== component
          ? 'repository names must be lower-case'
          : 'components are lower-case letters and digits joined by ".", "_", "__" or "-"';
      throw invalid(original, `repository component "${clip(component)}" is invalid: ${hint}`);
    }
  }
  const registry = domain === undefined || DOCKER_HUB_ALIASES.has(domain) ? DOCKER_HUB_REGISTRY : domain;
  const repository = registry === DOCKER_HUB_REGISTRY && !remainder.includes('/') ? `library/${remainder}` : remainder;
  if (tag === undefined && digest === undefined) tag = 'latest';
  return {
    transport: 'registry',
    original,
    registry,
    repository,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

function parsePathWithRef(transport: Transport, body: string, original: string): ImageRef {
  // containers/image oci layout: "PATH[:REFERENCE]", split at the first ":".
  const colon = body.indexOf(':');
  const path = colon < 0 ? body : body.slice(0, colon);
  const pathRef = colon < 0 ? undefined : body.slice(colon + 1);
  if (path === '') throw invalid(original, `${transport}: needs a path`);
  if (pathRef !== undefined && !OCI_REF_NAME.test(pathRef)) {
    throw invalid(original, `"${clip(pathRef)}" is not a valid org.opencontainers.image.ref.name`);
  }
  return { transport, original, path, ...(pathRef === undefined ? {} : { pathRef }) };
}

/**
 * Parses any reference Vigil accepts: `docker-archive:PATH`, `oci-archive:PATH[:ref]`,
 * `oci:DIR[:ref]`, `dir:PATH`, `registry:REF`, `docker://REF` (skopeo's spelling) or a bare
 * registry reference. Registry references without tag or digest get the tag "latest".
 */
export function parseImageRef(input: string): ImageRef {
  if (typeof input !== 'string') throw invalid(String(input), 'it is not a string');
  const original = input;
  for (const transport of ['docker-archive', 'oci-archive', 'oci', 'dir'] as const) {
    const prefix = `${transport}:`;
    if (!input.startsWith(prefix)) continue;
    const body = input.slice(prefix.length);
    if (transport === 'oci-archive' || transport === 'oci') return parsePathWithRef(transport, body, original);
    if (body === '') throw invalid(original, `${transport}: needs a path`);
    return { transport, original, path: body };
  }
  if (input.startsWith('registry:')) return parseRegistryReference(input.slice('registry:'.length), original);
  if (input.startsWith('docker://')) return parseRegistryReference(input.slice('docker://'.length), original);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    throw invalid(original, 'URLs are not image references; write host/repository:tag');
  }
  return parseRegistryReference(input, original);
}

/** The registry name people know: "docker.io" for Docker Hub's API host. */
export function registryDisplayName(registry: string): string {
  return DOCKER_HUB_ALIASES.has(registry) ? DOCKER_HUB_DISPLAY : registry;
}

/**
 * A canonical string for a reference: `docker.io/library/debian:12@sha256:...` for registries,
 * `TRANSPORT:PATH[:ref]` otherwise. With `familiar`, Docker Hub names are shortened the way the
 * docker CLI prints them (`debian:12`).
 */
export function formatImageRef(ref: ImageRef, options: { familiar?: boolean } = {}): string {
  if (ref.transport !== 'registry') {
    return `${ref.transport}:${ref.path ?? ''}${ref.pathRef === undefined ? '' : `:${ref.pathRef}`}`;
  }
  const registry = registryDisplayName(ref.registry ?? DOCKER_HUB_REGISTRY);
  let name = `${registry}/${ref.repository ?? ''}`;
  if (options.familiar === true && registry === DOCKER_HUB_DISPLAY) {
    const repository = ref.repository ?? '';
    name = repository.startsWith('library/') ? repository.slice('library/'.length) : repository;
  }
  return `${name}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** Architecture spellings that mean the same thing (containerd platforms/database.go). */
const ARCH_ALIASES: Readonly<Record<string, { architecture: string; variant?: string }>> = {
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
  i386: { architecture: '386' },
  i686: { architecture: '386' },
};

const PLATFORM_PART = /^[a-z0-9][a-z0-9._-]*$/;

/** Normalises an architecture name and variant the way containerd does before comparing. */
export function normalizePlatform(platform: Platform): Platform {
  const os = platform.os.toLowerCase();
  const rawArch = platform.architecture.toLowerCase();
  const alias = ARCH_ALIASES[rawArch];
  const architecture = alias?.architecture ?? rawArch;
  const variant = platform.variant?.toLowerCase() || alias?.variant;
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** Parses "os/arch[/variant]" (e.g. "linux/arm64/v8"). Throws VIGIL_PLATFORM_INVALID. */
export function parsePlatform(input: string): Platform {
  const parts = typeof input === 'string' ? input.split('/') : [];
  const bad = (why: string) =>
    new VigilError('VIGIL_PLATFORM_INVALID', `invalid platform "${clip(String(input))}": ${why}`, {
      platform: clip(String(input)),
    });
  if (parts.length < 2 || parts.length > 3) throw bad('expected os/arch or os/arch/variant, e.g. linux/arm64/v8');
  for (const part of parts) {
    if (!PLATFORM_PART.test(part.toLowerCase())) throw bad(`"${clip(part)}" is not a valid platform component`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return normalizePlatform({ os, architecture, ...(variant === undefined ? {} : { variant }) });
}

export function formatPlatform(platform: Platform): string {
  return `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`;
}
