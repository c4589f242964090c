// Writes the licence texts of every npm package with code in the bundle, from the
// esbuild metafile given as argv[2], to stdout. Used by build.sh.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";

const meta = JSON.parse(readFileSync(process.argv[2], "utf8"));
const packages = new Set();
for (const output of Object.values(meta.outputs)) {
  for (const [input, info] of Object.entries(output.inputs)) {
    if (!info.bytesInOutput) continue;
    const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.add(m[1]);
  }
}
if (!packages.size) throw new Error("no packages found in the metafile");

const parts = [
  "Third-party software bundled in editor.js (built by editor/build.sh).",
  "Each section is the licence file shipped with the named npm package.",
];
for (const name of [...packages].sort()) {
  const dir = join("node_modules", name);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
  if (!file || !existsSync(join(dir, file))) throw new Error("no licence file in " + dir);
  const text = readFileSync(join(dir, file), "utf8").trim();
  parts.push("=".repeat(72) + "\n" + name + "@" + pkg.version + " (" + (pkg.license || "see below") + ")\n" + "=".repeat(72) + "\n" + text);
}
process.stdout.write(parts.join("\n\n") + "\n");
