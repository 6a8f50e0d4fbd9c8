#!/usr/bin/env node
// Builds the resource-server library as JavaScript plus declarations, in two shapes:
// - packages/resource/dist/: the @portcullis/resource package. src/resource/library.ts bundled into
//   one ESM file with every module of ours and jose's inlined and nothing else imported but Node's
//   builtins (the package has no dependencies), and the declarations it needs under dist/types/.
// - build/resource/ and build/types/: this package's `portcullis/resource` entry
//   (src/resource/index.ts: the library plus the store-backed helpers), its dependencies left in
//   node_modules.
// The build refuses a library that reaches the store, the HTTP server or any package.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const library = join(root, 'src/resource/library.ts');
const rootEntry = join(root, 'src/resource/index.ts');
const packageDist = join(root, 'packages/resource/dist');
const rootOut = join(root, 'build/resource');
const typesOut = join(root, 'build/types');

/** Only the pure layers, and jose (bundled in: JWT verification): what the library may contain. */
const LIBRARY_SOURCES = /^(src\/(resource|core)\/|node_modules\/jose\/)/;
const LIBRARY_FORBIDDEN = /^src\/(store|http|authz|admin|manage|cli|config)\/|^src\/app\.ts$/;

function fail(message) {
  console.error(`build-resource: ${message}`);
  process.exit(1);
}

const isBuiltin = (specifier) => specifier.startsWith('node:') || builtinModules.includes(specifier);

rmSync(packageDist, { recursive: true, force: true });
rmSync(rootOut, { recursive: true, force: true });
rmSync(typesOut, { recursive: true, force: true });

const common = { absWorkingDir: root, bundle: true, platform: 'node', format: 'esm', target: 'node20', sourcemap: true, legalComments: 'none', logLevel: 'warning' };
const [packaged] = await Promise.all([
  build({ ...common, entryPoints: [library], outfile: join(packageDist, 'index.js'), metafile: true }),
  build({ ...common, entryPoints: [rootEntry], outfile: join(rootOut, 'index.js'), packages: 'external' }),
]);
// Paths in the metafile are relative to absWorkingDir.
for (const path of Object.keys(packaged.metafile.inputs)) {
  if (!LIBRARY_SOURCES.test(path) || LIBRARY_FORBIDDEN.test(path)) fail(`the library must not contain ${path}`);
}
for (const output of Object.values(packaged.metafile.outputs)) {
  for (const { path } of output.imports) if (!isBuiltin(path)) fail(`the library must not import ${path}`);
}

let ts;
try {
  ts = (await import('typescript')).default;
} catch {
  // `npm ci --omit=dev` still builds the server; only a package to publish needs declarations.
  if (process.env.npm_lifecycle_event === 'prepack') fail('declarations need TypeScript (a devDependency): run npm ci first');
  console.warn('build-resource: TypeScript is not installed (a devDependency), so no .d.ts files were written');
  process.exit(0);
}

const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
const program = ts.createProgram([library, rootEntry], {
  ...options,
  noEmit: false,
  declaration: true,
  emitDeclarationOnly: true,
  rootDir: join(root, 'src'),
  outDir: typesOut,
});
const emitted = program.emit(undefined, (file, text) => {
  mkdirSync(dirname(file), { recursive: true });
  // The sources import `./x.ts`; the declarations sit next to `./x.js` for every TypeScript version.
  writeFileSync(file, text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1$2.js$3'));
});
if (emitted.diagnostics.length > 0) {
  fail(ts.formatDiagnostics(emitted.diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));
}

/** The library's declarations and those they import, copied into the package; nothing else may be imported. */
function copyDeclarations(file, seen = new Set()) {
  if (seen.has(file)) return;
  seen.add(file);
  const path = relative(typesOut, file);
  if (LIBRARY_FORBIDDEN.test(`src/${path}`)) fail(`the library's types must not reach src/${path}`);
  const target = join(packageDist, 'types', path);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(file, target);
  for (const { fileName: specifier } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
    if (specifier.startsWith('.')) copyDeclarations(resolve(dirname(file), specifier.replace(/\.js$/, '.d.ts')), seen);
    else if (!isBuiltin(specifier)) fail(`the library's types must not import ${specifier} (in ${path})`);
  }
}
copyDeclarations(join(typesOut, 'resource/library.d.ts'));
writeFileSync(join(packageDist, 'index.d.ts'), "export * from './types/resource/library.js';\n");
console.log('built the resource library into packages/resource/dist and build/resource');
