import { apk } from './apk/index.ts';
import { composer } from './composer/index.ts';
import { cran } from './cran/index.ts';
import { deb } from './deb/index.ts';
import { go } from './go/index.ts';
import { hackage } from './hackage/index.ts';
import { maven } from './maven/index.ts';
import { nuget } from './nuget/index.ts';
import { pep440 } from './pep440/index.ts';
import { pub } from './pub/index.ts';
import { rpm } from './rpm/index.ts';
import { rubygems } from './rubygems/index.ts';
import { semver } from './semver/index.ts';
import type { VersionScheme } from './types.ts';

/** The single list of version schemes; api.test.ts fails when a scheme folder is missing here. */
export const schemeList = [
  apk,
  composer,
  cran,
  deb,
  go,
  hackage,
  maven,
  nuget,
  pep440,
  pub,
  rpm,
  rubygems,
  semver,
] as const satisfies readonly VersionScheme[];

export type SchemeId = (typeof schemeList)[number]['id'];
