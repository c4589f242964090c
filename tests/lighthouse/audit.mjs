// Lighthouse's accessibility, best-practices and SEO audits of one page, for the test suite:
//
//   CHROME_PATH=/usr/bin/chromium node tests/lighthouse/audit.mjs URL
//
// Prints one JSON line on stdout:
//   {"accessibility":1,"best-practices":1,"seo":1,
//    "failures":[{"category":"seo","id":"canonical","title":"…","items":["…"]}]}
// scores as Lighthouse gives them (0 to 1, null if a category could not be scored);
// failures: every scored audit of those categories under 1, or that errored.
// Exit 0 when Lighthouse completed, whatever the scores; 2 when it could not run
// (not installed, no browser, the page did not load), with the reason on stderr.
//
// Lighthouse comes from .ci/node_modules (npm install --prefix .ci --no-save --no-audit
// --no-fund axe-core@4.14 lighthouse@12), found from this file's folder upwards, so the
// working directory does not matter. Mobile form factor (Lighthouse's default), headless
// Chromium with --ignore-certificate-errors for the test server's self-signed certificate:
// without it the page never loads (INSECURE_DOCUMENT_REQUEST); with it is-on-https still
// judges the page as served over HTTPS.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CATEGORIES = ['accessibility', 'best-practices', 'seo'];
const MAX_ITEMS = 20;
const MAX_ITEM_CHARS = 300;

function fail(message) {
  process.stderr.write(`audit.mjs: ${message}\n`);
  process.exit(2);
}

// The folder holding .ci/node_modules/lighthouse: this file's folder or one above it.
function findLighthouse() {
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const pkg = join(dir, '.ci', 'node_modules', 'lighthouse', 'package.json');
      if (existsSync(pkg)) return pkg;
      if (dirname(dir) === dir) break;
    }
  }
  return null;
}

// The package's ES module entry, by its package.json (exports, then main).
function entryOf(pkgJson) {
  const pkg = JSON.parse(readFileSync(pkgJson, 'utf8'));
  let entry = pkg.main || 'index.js';
  if (typeof pkg.exports === 'string') entry = pkg.exports;
  else if (pkg.exports && pkg.exports['.']) {
    const e = pkg.exports['.'];
    entry = typeof e === 'string' ? e : e.import || e.default || entry;
  }
  return pathToFileURL(join(dirname(pkgJson), entry)).href;
}

const clip = (s) => {
  const t = String(s).replace(/\s+/g, ' ').trim();
  return t.length > MAX_ITEM_CHARS ? `${t.slice(0, MAX_ITEM_CHARS - 1)}…` : t;
};

// One short string for one row of an audit's details.
function describe(item) {
  const parts = [];
  const push = (v) => {
    if (v !== undefined && v !== null && v !== '' && !parts.includes(String(v))) parts.push(String(v));
  };
  const node = (n) => {
    if (!n || n.type !== 'node') return;
    push(n.selector);
    push(n.snippet);
    // axe's "Fix any of the following: …", the useful part for contrast and names.
    if (n.explanation) {
      const lines = n.explanation.split('\n').map((l) => l.trim()).filter(Boolean);
      push((lines.length > 1 ? lines.slice(1) : lines).join('; '));
    }
  };
  node(item.node);
  for (const [key, v] of Object.entries(item)) {
    if (key === 'node' || key === 'subItems') continue;
    if (typeof v === 'string' || typeof v === 'number') push(`${key}: ${v}`);
    else if (v && v.type === 'node') node(v);
    else if (v && v.type === 'source-location') push(`${v.url}:${v.line + 1}:${v.column + 1}`);
    else if (v && v.type === 'url') push(v.value);
    else if (v && (v.type === 'code' || v.type === 'text')) push(`${key}: ${v.value}`);
  }
  if (item.subItems && Array.isArray(item.subItems.items)) {
    for (const sub of item.subItems.items.slice(0, 3)) {
      if (sub.relatedNode) push(`related: ${sub.relatedNode.selector || sub.relatedNode.snippet}`);
      else push(describe(sub));
    }
  }
  return clip(parts.join(' | '));
}

function failures(lhr) {
  const out = [];
  for (const category of CATEGORIES) {
    const cat = lhr.categories[category];
    if (!cat) continue;
    for (const ref of cat.auditRefs) {
      const audit = lhr.audits[ref.id];
      if (!audit) continue;
      const mode = audit.scoreDisplayMode;
      if (mode === 'notApplicable' || mode === 'manual' || mode === 'informative') continue;
      if (mode !== 'error' && audit.score !== null && audit.score >= 1) continue;
      const rows = (audit.details && Array.isArray(audit.details.items)) ? audit.details.items : [];
      const items = rows.slice(0, MAX_ITEMS).map(describe).filter(Boolean);
      if (rows.length > MAX_ITEMS) items.push(`… ${rows.length - MAX_ITEMS} more`);
      if (audit.errorMessage) items.unshift(clip(`error: ${audit.errorMessage}`));
      if (audit.explanation) items.unshift(clip(audit.explanation));
      if (items.length === 0 && audit.displayValue) items.push(clip(audit.displayValue));
      out.push({ category, id: audit.id, title: audit.title, items });
    }
  }
  return out;
}

async function main() {
  const url = process.argv[2];
  if (!url || process.argv.length > 3) fail('usage: node tests/lighthouse/audit.mjs URL');
  const pkgJson = findLighthouse();
  if (!pkgJson) {
    fail('Lighthouse is not in .ci/node_modules: npm install --prefix .ci --no-save --no-audit --no-fund axe-core@4.14 lighthouse@12');
  }
  const chromePath = process.env.CHROME_PATH || '/usr/bin/chromium';
  if (!existsSync(chromePath)) fail(`no browser at ${chromePath} (set CHROME_PATH)`);

  const { default: lighthouse } = await import(entryOf(pkgJson));
  // chrome-launcher as Lighthouse itself resolves it (its own copy or the hoisted one).
  const launcherJson = createRequire(pkgJson).resolve('chrome-launcher/package.json');
  const { launch } = await import(entryOf(launcherJson));

  const chrome = await launch({
    chromePath,
    chromeFlags: ['--headless=new', '--no-sandbox', '--ignore-certificate-errors'],
    logLevel: 'silent',
  });
  let result;
  try {
    result = await lighthouse(url, {
      port: chrome.port,
      logLevel: 'silent',
      output: 'json',
      formFactor: 'mobile',
      onlyCategories: CATEGORIES,
    });
  } finally {
    try {
      await chrome.kill();
    } catch {
      // already gone
    }
  }
  const lhr = result && result.lhr;
  if (!lhr) fail('Lighthouse returned no result');
  if (lhr.runtimeError) fail(`${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);

  const line = {};
  for (const category of CATEGORIES) {
    const cat = lhr.categories[category];
    line[category] = cat && typeof cat.score === 'number' ? cat.score : null;
  }
  line.failures = failures(lhr);
  process.stdout.write(`${JSON.stringify(line)}\n`, () => process.exit(0));
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
