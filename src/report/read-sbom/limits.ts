import { VigilError } from '../../core/errors.ts';

/** An SBOM is read whole as JSON; 256 MiB holds an image of a few hundred thousand packages with files. */
export const MAX_SBOM_BYTES = 256 * 1024 * 1024;
export const MAX_COMPONENTS = 1_000_000;

export function sbomError(name: string, message: string, cause?: unknown): VigilError {
  return new VigilError(
    'VIGIL_SBOM_INVALID',
    `${name}: ${message}`,
    { file: name },
    cause === undefined ? undefined : { cause },
  );
}
