#!/usr/bin/env -S node --max-semi-space-size=8
// Streaming layers makes short-lived garbage fast, and V8's default young generation then grows to
// tens of MB per semi-space, which RSS keeps. 8 MB keeps a scan's peak RSS flat and is no slower
// (bench:sbom, languages image: 247 MB -> 168 MB). V8 reads the flag only at startup, hence the
// shebang; `npm run vigil` passes it too.
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
