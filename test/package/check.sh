#!/usr/bin/env bash
# Checks the package a user installs, from the packed tarball and not from the checkout: `npm pack`
# (which builds dist/ on prepack) holds the build, the manifests, README and LICENSE and nothing of
# test/; `npm install -g` of the tarball into a temporary prefix gives a `shakedown` that answers
# --version, list, validate and run --dry-run from outside the checkout; and in a fresh npm project
# with the tarball installed, the README's example experiment compiles under strict against the
# package's types and plans. Given arguments, it then runs them as a real `shakedown run` against
# the cluster of KUBECONFIG and checks its reports, and runs the README's example there too, with
# the arguments after the experiment's name (its --set flags).
#
#   test/package/check.sh
#   KUBECONFIG=... test/package/check.sh statefulset-identity --set image=shakedown.local/sample:1
#
# Needs Node.js >= 22.19 on PATH (run it through ./with-node).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

t0=$SECONDS
say() { printf '[package +%ss] %s\n' "$((SECONDS - t0))" "$*"; }
fail() { printf '[package] FAILED: %s\n' "$*" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/shakedown-package.XXXXXX")
trap 'rm -rf "$work"' EXIT

say "npm pack (prepack builds dist/)"
npm pack --silent --pack-destination "$work" >/dev/null
tarballs=("$work"/*.tgz)
[[ ${#tarballs[@]} -eq 1 && -f ${tarballs[0]} ]] || fail "npm pack left no single tarball in $work"
tarball=${tarballs[0]}
tar -tzf "$tarball" | sed 's|^package/||' | sort >"$work/files"
say "$(basename "$tarball"): $(wc -l <"$work/files") files, $(du -k "$tarball" | cut -f1) kB"

for f in package.json README.md LICENSE harness/cli/bin.js harness/cli/require-node.js dist/harness/cli/main.js dist/harness/index.js dist/shakedown.d.ts; do
  grep -qxF "$f" "$work/files" || fail "the tarball lacks $f"
done
for m in "$root"/experiments/*/manifests/*; do
  f="dist/${m#"$root"/}"
  grep -qxF "$f" "$work/files" || fail "the tarball lacks the manifest $f"
done
# The experiments' k6 scripts are TypeScript that k6 itself runs (a user's k6 loads them from the
# installed package), so they are the one kind of .ts file that belongs in it.
# The public API's types are one rolled-up declaration file (api-extractor), the other .d.ts are not shipped.
if grep -E '^(test/|node_modules/|reports/|\.ci/)|\.ts$|\.map$' "$work/files" | grep -vE '^dist/experiments/[^/]+/k6/[^/]+\.ts$|^dist/shakedown\.d\.ts$'; then
  fail "the tarball holds the files above, which an installed package does not need"
fi

say "npm install -g of the tarball into $work/prefix"
# --prefix would also move npm's global config (<prefix>/etc/npmrc): keep the one in use, with
# its registry, proxy and CA settings.
npm install -g --prefix "$work/prefix" --globalconfig "$(npm config get globalconfig)" --no-audit --no-fund --loglevel=warn "$tarball" 2>&1 | tee "$work/install.log"
if grep -q 'EBADENGINE' "$work/install.log"; then fail "installing printed an engine warning"; fi
shakedown_bin="$work/prefix/bin/shakedown"
[[ -x "$shakedown_bin" ]] || fail "the install made no $shakedown_bin"
installed=$(readlink -f "$shakedown_bin")
[[ "$installed" == "$work/prefix/"*/node_modules/shakedown/harness/cli/bin.js ]] || fail "$shakedown_bin is $installed, not the installed package's bin"

# From an empty directory, so nothing of the checkout can be picked up.
mkdir "$work/elsewhere"
cd "$work/elsewhere"
shakedown() { # runs the installed shakedown with these arguments, shows its output, fails on a non-zero exit
  say "shakedown $*"
  "$shakedown_bin" "$@" >"$work/out" 2>&1 || { code=$?; cat "$work/out"; fail "shakedown $* exited $code"; }
  cat "$work/out"
}

version=$(node -p "require('$root/package.json').version")
shakedown --version
[[ "$(cat "$work/out")" == "$version" ]] || fail "--version printed '$(cat "$work/out")', not $version"
shakedown list
grep -q '^statefulset-identity$' "$work/out" || fail "list does not name statefulset-identity"
shakedown validate
grep -q '^statefulset-identity: ok' "$work/out" || fail "validate did not check statefulset-identity's manifests"
KUBECONFIG=/nonexistent shakedown run statefulset-identity --dry-run
grep -q 'Plan for statefulset-identity' "$work/out" || fail "run --dry-run printed no plan"

# As a user writes an experiment: a fresh npm project with the tarball installed, the README's
# example (the first ts block of "## Writing an experiment") compiled under strict and planned.
say "a user's project: npm init, npm install of the tarball, the README's example"
mkdir "$work/project"
cd "$work/project"
npm init -y >/dev/null
npm pkg set type=module
npm install --save-dev --globalconfig "$(npm config get globalconfig)" --no-audit --no-fund --loglevel=warn "$tarball"
awk '/^## Writing an experiment$/ { s = 1; next } s && /^```ts$/ { b = 1; next } b && /^```$/ { exit } b { print }' "$root/README.md" >checkout.ts
[[ -s checkout.ts ]] || fail "the README has no ts block under '## Writing an experiment'"
grep -q "from 'shakedown'" checkout.ts || fail "the README's example does not import from 'shakedown'"
cat >tsconfig.json <<'JSON'
{ "compilerOptions": { "strict": true, "module": "nodenext", "moduleResolution": "nodenext", "target": "es2024", "noEmit": true, "skipLibCheck": true, "allowImportingTsExtensions": true, "verbatimModuleSyntax": true, "erasableSyntaxOnly": true, "types": [] }, "include": ["checkout.ts"] }
JSON
say "tsc --strict on the README's example, against the installed package's types"
node "$root/node_modules/typescript/bin/tsc" -p tsconfig.json || fail "the README's example does not compile under strict against the installed package"
KUBECONFIG=/nonexistent npx shakedown validate ./checkout.ts >"$work/out" 2>&1 || { cat "$work/out"; fail "validate ./checkout.ts failed"; }
cat "$work/out"
KUBECONFIG=/nonexistent npx shakedown run ./checkout.ts --dry-run >"$work/out" 2>&1 || { cat "$work/out"; fail "run ./checkout.ts --dry-run failed"; }
grep -q 'Plan for checkout-survives-pod-loss' "$work/out" || fail "run ./checkout.ts --dry-run printed no plan"
cd "$work/elsewhere"

if [[ $# -gt 0 ]]; then
  [[ -n "${KUBECONFIG:-}" ]] || fail "a real run needs KUBECONFIG"
  say "a real run against $KUBECONFIG"
  set +e
  "$shakedown_bin" run "$@" --report-dir "$work/reports"
  code=$?
  set -e
  [[ $code -eq 0 ]] || fail "shakedown run $* exited $code"
  for f in journal.json junit.xml report.md report.html; do
    compgen -G "$work/reports/*/$f" >/dev/null || fail "the run wrote no $f"
  done
  say "the run passed; reports: $(cd "$work/reports" && echo */)"
  # The README's example, run for real from the user's project, with the same --set flags.
  say "npx shakedown run ./checkout.ts ${*:2} (the README's example, from the user's project)"
  cd "$work/project"
  set +e
  npx shakedown run ./checkout.ts "${@:2}" --report-dir "$work/reports-example"
  code=$?
  set -e
  [[ $code -eq 0 ]] || fail "the README's example exited $code"
  compgen -G "$work/reports-example/*checkout-survives-pod-loss*/journal.json" >/dev/null || fail "the README's example wrote no journal"
  say "the README's example passed"
fi
say "ok: the packed tarball installs and runs"
