#!/usr/bin/env bash
# Restore an Interlinear backup written by scripts/backup.sh.
#
# Usage: scripts/restore.sh BACKUP_DIR TARGET_DATABASE_URL TARGET_MEDIA_ROOT
#
#   1. Checks BACKUP_DIR against its SHA256SUMS: every file listed must be there with
#      its exact hash, and database.dump and media.tar must be listed. Any difference
#      refuses the restore before anything is written.
#   2. Refuses a target database that holds any table (create it empty first:
#      `createdb --owner interlinear interlinear_restored`) and a target media folder
#      that exists and is not empty.
#   3. Restores the dump in one transaction (pg_restore --single-transaction
#      --exit-on-error --no-owner), then unpacks the media into TARGET_MEDIA_ROOT.
#   4. With DATABASE_URL and MEDIA_ROOT set to the targets, runs
#      `manage.py migrate --check` (is the schema what this code expects?) and
#      `manage.py verify_history` (does every row match its latest history row?).
#
#   Run it with the app's other settings in the environment (SECRET_KEY, ...), as for
#   manage.py. Exit status: 0 restored and verified; 1 restored, but a check after it
#   failed (read the message); 2 refused, nothing written.
#   PYTHON (default: <project>/.venv/bin/python, else python3) runs manage.py.
#
# Example:
#   createdb --owner interlinear interlinear_restored
#   scripts/restore.sh /var/backups/interlinear/interlinear-20250101T020000Z \
#     postgres://interlinear:PASSWORD@127.0.0.1:5432/interlinear_restored /var/lib/interlinear/media-restored
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
refuse() { echo "restore.sh: refused, nothing was written: $*" >&2; exit 2; }

case "${1:-}" in -h|--help) usage; exit 0 ;; esac
(($# == 3)) || { usage >&2; exit 2; }
backup="$1" target_url="$2" target_media="$3"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x "$ROOT/.venv/bin/python" ]]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi

# --- 1. The backup is whole and unaltered ---------------------------------------
[[ -d "$backup" ]] || refuse "$backup is not a folder"
[[ -f "$backup/SHA256SUMS" ]] || refuse "$backup has no SHA256SUMS manifest"
for required in database.dump media.tar; do
  grep -Eq "^[0-9a-f]{64}  \./$required\$" "$backup/SHA256SUMS" || refuse "the manifest does not list $required"
done
if ! check="$(cd "$backup" && sha256sum --check --strict SHA256SUMS 2>&1)"; then
  grep -v ': OK$' <<<"$check" >&2 || true
  refuse "$backup does not match its SHA256SUMS (altered, truncated or incomplete)"
fi
echo "Manifest verified: $(wc -l <"$backup/SHA256SUMS") file(s) match their SHA-256." >&2

# --- 2. The targets are empty ------------------------------------------------------
case "$target_url" in
  postgres://*|postgresql://*) ;;
  *) refuse "TARGET_DATABASE_URL must be a postgres:// URL" ;;
esac
tables="$(psql "$target_url" --no-psqlrc --quiet --tuples-only --no-align --set=ON_ERROR_STOP=1 --command \
  "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg_toast%'")" || refuse "cannot connect to the target database"
[[ "$tables" == 0 ]] || refuse "the target database is not empty ($tables tables, views or sequences)"
if [[ -e "$target_media" ]]; then
  [[ -d "$target_media" ]] || refuse "$target_media exists and is not a folder"
  [[ -z "$(ls -A "$target_media")" ]] || refuse "the target media folder $target_media is not empty"
fi

# --- 3. Restore ----------------------------------------------------------------------
echo "Restoring the database..." >&2
pg_restore --single-transaction --exit-on-error --no-owner --no-privileges \
  --dbname="$target_url" "$backup/database.dump"
echo "Unpacking the media into $target_media..." >&2
mkdir -p "$target_media"
tar --extract --file="$backup/media.tar" --directory="$target_media" --no-same-owner

# --- 4. Check ------------------------------------------------------------------------
cd "$ROOT"
export DATABASE_URL="$target_url" MEDIA_ROOT="$target_media"
if ! "$PYTHON" manage.py migrate --check >/dev/null; then
  echo "restore.sh: restored, but the schema is behind this code: run 'manage.py migrate' against it." >&2
  exit 1
fi
if ! "$PYTHON" manage.py verify_history; then
  echo "restore.sh: restored, but verify_history found rows that differ from their history (see above)." >&2
  exit 1
fi
echo "Restore complete and verified: $target_url, media in $target_media." >&2
