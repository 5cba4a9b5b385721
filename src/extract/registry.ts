import { dotnetExtractor } from './lang/dotnet/index.ts';
import { goExtractor } from './lang/go/index.ts';
import { javaExtractor } from './lang/java/index.ts';
import { npmExtractor } from './lang/npm/index.ts';
import { phpExtractor } from './lang/php/index.ts';
import { pythonExtractor } from './lang/python/index.ts';
import { rubyExtractor } from './lang/ruby/index.ts';
import { rustExtractor } from './lang/rust/index.ts';
import { apkExtractor } from './os/apk/index.ts';
import { dpkgExtractor } from './os/dpkg/index.ts';
import { releaseExtractor } from './os/release/index.ts';
import { rpmExtractor } from './os/rpm/index.ts';
import type { Extractor } from './types.ts';

/** Every extractor, one line each; registry.test.ts fails when a folder is missing here. */
export const extractors: readonly Extractor[] = [
  releaseExtractor,
  dpkgExtractor,
  apkExtractor,
  rpmExtractor,
  javaExtractor,
  rubyExtractor,
  phpExtractor,
  dotnetExtractor,
  npmExtractor,
  pythonExtractor,
  goExtractor,
  rustExtractor,
];
