// Builds the dashboard and chat page into ../node/target/classes/webroot (served by the node at /).
//
// The protocol schema is read from proto/phoenix/v1/phoenix.proto here, at build time, and
// bundled as a protobufjs JSON descriptor: the page never parses .proto text and nothing is
// loaded from the network at run time. Script and style names carry a content hash, so
// browsers may cache them; index.html refers to them by those names.
import { build } from 'esbuild';
import protobuf from 'protobufjs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const project = resolve(here, '..');
const outdir = resolve(project, 'node/target/classes/webroot');
const protoFile = resolve(project, 'proto/phoenix/v1/phoenix.proto');

const schema = protobuf.parse(await readFile(protoFile, 'utf8')).root.toJSON();

/** `import schema from 'phoenix:schema'` yields the JSON descriptor of phoenix.proto. */
const schemaModule = {
  name: 'phoenix-schema',
  setup(b) {
    b.onResolve({ filter: /^phoenix:schema$/ }, (args) => ({ path: args.path, namespace: 'phoenix' }));
    b.onLoad({ filter: /.*/, namespace: 'phoenix' }, () => ({
      contents: `export default ${JSON.stringify(schema)};`,
      loader: 'js',
    }));
    // protobufjs uses long.js for 64-bit integers when it finds it; the page wants plain
    // numbers (offsets and times fit in 53 bits), so long.js is left out of the bundle.
    b.onResolve({ filter: /^long$/ }, () => ({ path: 'long', namespace: 'phoenix-none' }));
    b.onLoad({ filter: /.*/, namespace: 'phoenix-none' }, () => ({
      contents: 'module.exports = null;',
      loader: 'js',
    }));
  },
};

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

const result = await build({
  entryPoints: { app: resolve(here, 'src/main.js') },
  bundle: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: 'linked',
  entryNames: '[name]-[hash]',
  outdir,
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
  plugins: [schemaModule],
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const asset = (ext) => {
  const name = outputs.find((o) => o.startsWith('app-') && o.endsWith(ext));
  if (!name) throw new Error(`the build produced no app-*${ext}`);
  return name;
};
const html = (await readFile(resolve(here, 'src/index.html'), 'utf8'))
  .replaceAll('{{app.js}}', asset('.js'))
  .replaceAll('{{app.css}}', asset('.css'));
await writeFile(resolve(outdir, 'index.html'), html);
await writeFile(resolve(outdir, 'favicon.svg'), await readFile(resolve(here, 'src/favicon.svg')));
// protobufjs is bundled into app-*.js; its license travels with it
const license = await readFile(resolve(here, 'node_modules/protobufjs/LICENSE'), 'utf8');
await writeFile(resolve(outdir, 'THIRD-PARTY-LICENSES.txt'),
  `app-*.js bundles the protobufjs package, under this license:\n\n${license}`);
