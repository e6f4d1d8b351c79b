// A long-lived wasm-cairo worker: one JSON request per stdin line, one JSON reply per stdout line.
// The wasm module's only output channel is console.log, so console.log is captured per call
// and the protocol is written with process.stdout.write.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import {pathToFileURL} from 'node:url';
import {Worker} from 'node:worker_threads';

const pkgDir = process.argv[2];
const wasm = await import(pathToFileURL(path.join(pkgDir, 'wasm-cairo.js')).href);
await wasm.default({module_or_path: fs.readFileSync(path.join(pkgDir, 'wasm-cairo_bg.wasm'))});

let captured = [];
console.log = (...args) => { captured.push(args.join(' ')); };
const reply = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

const ops = {
  // runTests(src, allowWarnings, filter, includeIgnored, ignored, starknet, profiler, gasDisabled, printResourceUsage)
  run_tests: (r) => wasm.runTests(r.src, true, r.filter || '', false, false, !!r.starknet, '', false, false),
  compile_program: (r) => wasm.compileCairoProgram(r.src, false),
};

// Die with the harness: a worker whose parent is gone (even after kill -9) has no one to answer.
// The watch runs on its own thread, because a wasm call blocks the main one for up to a minute.
const parent = Number(process.env.CAIRO_EVALS_PARENT_PID || process.ppid);
new Worker(
  `const parent = ${parent};
   setInterval(() => { if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL'); }, 500);`,
  {eval: true},
).unref();

reply({ready: true, rss: process.memoryUsage().rss});
const rl = readline.createInterface({input: process.stdin, terminal: false});
rl.on('line', (line) => {
  if (!line.trim()) return;
  let req;
  try { req = JSON.parse(line); } catch (e) { reply({id: null, error: 'bad request: ' + e.message}); return; }
  captured = [];
  const t0 = performance.now();
  let output = null, error = null;
  try {
    const fn = ops[req.op];
    if (!fn) throw new Error('unknown op ' + req.op);
    output = fn(req);
  } catch (e) { error = String((e && e.stack) || e); }
  reply({id: req.id, output, error, logs: captured, ms: performance.now() - t0,
         rss: process.memoryUsage().rss, max_rss: process.resourceUsage().maxRSS * 1024});
});
rl.on('close', () => process.exit(0));
