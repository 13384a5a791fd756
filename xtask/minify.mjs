// Minifies the release bundle's JavaScript glue in place (terser, pinned in package.json) and
// updates its subresource-integrity hash in dist/index.html. Trunk's own JS minifier cannot
// parse wasm-bindgen's glue, so `cargo xtask dist` runs this after `trunk build --release`.
// Usage: node xtask/minify.mjs DIST_DIR
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { minify } from 'terser';

const dist = process.argv[2];
const htmlPath = join(dist, 'index.html');
let html = readFileSync(htmlPath, 'utf8');
for (const name of readdirSync(dist).filter((f) => f.endsWith('.js'))) {
  const path = join(dist, name);
  const source = readFileSync(path, 'utf8');
  const out = await minify(source, { module: true, compress: true, mangle: true });
  if (!out.code) throw new Error(`terser produced nothing for ${name}`);
  writeFileSync(path, out.code);
  const integrity = 'sha384-' + createHash('sha384').update(out.code).digest('base64');
  // The <link> for this file carries the old hash: replace it (attribute order varies).
  const link = new RegExp(`(<link[^>]*href=/?${name.replace(/[.]/g, '\\.')}[^>]*>)`);
  const found = html.match(link);
  if (found) {
    html = html.replace(found[1], found[1].replace(/integrity=("?)sha384-[A-Za-z0-9+/=]+\1/, `integrity=${integrity}`));
  }
  console.log(`minified ${name}: ${source.length} -> ${out.code.length} bytes`);
}
writeFileSync(htmlPath, html);
