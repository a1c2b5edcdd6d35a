#!/usr/bin/env bash
# Regenerate the pictures of the reports in docs/img/: runs the main job (the bundled workbook against the
# embedded simulator, on a fixed date) in a temporary folder, converts the docx to PDF with LibreOffice and its
# first pages to PNG with pdftoppm, and takes a picture of the HTML report's first screen with headless
# Chromium (skipped, with a message, when Chromium is not installed).
#
#   scripts/report-pictures.sh            # builds with cargo, writes docs/img/*.png
#   DSOP_HARNESS=/path/to/dsop-harness scripts/report-pictures.sh
#
# Needs: soffice (LibreOffice), pdftoppm (poppler-utils); optional: chromium.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/docs/img"
today="${DSOP_PICTURES_TODAY:-2026-11-26}"
# The title page, the Testdata table and a page of results with code references.
pages="${DSOP_PICTURES_PAGES:-1 3 6}"
dpi="${DSOP_PICTURES_DPI:-100}"

if [[ -z "${DSOP_HARNESS:-}" ]]; then
  cargo build --quiet --manifest-path "$repo/Cargo.toml"
  DSOP_HARNESS="${CARGO_TARGET_DIR:-$repo/target}/debug/dsop-harness"
fi
for tool in soffice pdftoppm; do
  command -v "$tool" >/dev/null || { echo "report-pictures: $tool is not installed" >&2; exit 2; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# The main job. Exit 1 (Avvik) or 3 (Miljøfeil) still writes every report; 2 means nothing ran.
set +e
"$DSOP_HARNESS" run --today "$today" --reports "$work/reports" >"$work/run.log" 2>&1
rc=$?
set -e
if [[ $rc -ne 0 && $rc -ne 1 && $rc -ne 3 ]]; then
  cat "$work/run.log" >&2
  echo "report-pictures: the run failed (exit $rc)" >&2
  exit 1
fi
run="$(find "$work/reports" -mindepth 1 -maxdepth 1 -type d -name '*-sim' | sort | tail -1)"
docx="$run/Ajourhold_av_OTP_Integrasjonstest_rapport.docx"
html="$run/rapport.html"

mkdir -p "$out"
rm -f "$out"/rapport-docx-*.png

# docx -> PDF -> PNG, one picture per page asked for.
soffice --headless -env:UserInstallation="file://$work/lo-profile" --convert-to pdf --outdir "$work" "$docx" \
  >"$work/soffice.log" 2>&1
pdf="$work/$(basename "${docx%.docx}").pdf"
for p in $pages; do
  pdftoppm -r "$dpi" -png -singlefile -f "$p" -l "$p" "$pdf" "$out/rapport-docx-$p"
done

# The HTML report's first screen.
chrome=""
for c in chromium chromium-browser google-chrome; do
  if command -v "$c" >/dev/null; then chrome="$c"; break; fi
done
if [[ -n "$chrome" ]]; then
  "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,1000 \
    --user-data-dir="$work/chrome-profile" --screenshot="$out/rapport-html.png" "file://$html" \
    >"$work/chrome.log" 2>&1
else
  echo "report-pictures: no chromium installed, the HTML picture is not renewed" >&2
fi

ls -l "$out"
