// The baseline: one bare wasm-cairo call in a fresh Node process, as a script would do it.
// usage: node bare_wasm_cairo.mjs <wasm-cairo package dir> <file.cairo> contract|tests
import fs from 'node:fs';
import path from 'node:path';
import {pathToFileURL} from 'node:url';

const [pkg, file, mode] = process.argv.slice(2);
const wasm = await import(pathToFileURL(path.join(pkg, 'wasm-cairo.js')).href);
await wasm.default({module_or_path: fs.readFileSync(path.join(pkg, 'wasm-cairo_bg.wasm'))});
const logs = [];
console.log = (...a) => logs.push(a.join(' '));
const src = fs.readFileSync(file, 'utf8');
const t0 = performance.now();
const out = mode === 'tests'
  ? wasm.runTests(src, true, '', false, false, true, '', false, false)
  : wasm.compileStarknetContract(src, true, false);
process.stdout.write(JSON.stringify({
  ok: mode === 'tests' ? /test result: ok/.test(out) : out.trim().startsWith('{'),
  head: out.slice(0, 120), ms: performance.now() - t0,
  max_rss: process.resourceUsage().maxRSS * 1024,
}) + '\n');
