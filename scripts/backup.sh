#!/usr/bin/env bash
# Back up Interlinear: the PostgreSQL database, the media folder, a SHA-256 manifest.
#
# Usage: scripts/backup.sh [--projects] [DEST]
#
#   Run it with the app's environment (as for manage.py): DATABASE_URL must name the
#   PostgreSQL database; MEDIA_ROOT defaults to <project>/media, as in config/settings.py.
#   Writes DEST/interlinear-<UTC timestamp>/ (DEST defaults to ./backups) holding
#
#     database.dump          pg_dump --format=custom of DATABASE_URL (one consistent snapshot)
#     media.tar              everything under MEDIA_ROOT (page images, staged imports)
#     projects/<slug>.zip    with --projects: each project as `manage.py export_project` writes it,
#                            to restore one project alone with `manage.py import_project`
#     SHA256SUMS             the SHA-256 of every file above; restore.sh checks it first
#
#   and prints the folder's path on its last line. The database is dumped before the media
#   is archived: images are written before the rows naming them commit and are never
#   deleted, so every file the dump names is in the tar. The folder appears only once
#   complete (it is written as .interlinear-<timestamp>.partial and renamed).
#
#   PYTHON (default: <project>/.venv/bin/python, else python3) runs manage.py.
#
# Example:
#   DATABASE_URL=postgres://interlinear:PASSWORD@127.0.0.1:5432/interlinear \
#   MEDIA_ROOT=/var/lib/interlinear/media scripts/backup.sh --projects /var/backups/interlinear
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "backup.sh: $*" >&2; exit 2; }

projects=0
dest=""
while (($#)); do
  case "$1" in
    --projects) projects=1 ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) [[ -z "$dest" ]] || die "one destination folder only"; dest="$1" ;;
  esac
  shift
done
dest="${dest:-$PWD/backups}"

database_url="${DATABASE_URL:-}"
case "$database_url" in
  postgres://*|postgresql://*) ;;
  "") die "DATABASE_URL is not set; it must name the PostgreSQL database to back up" ;;
  *) die "DATABASE_URL is not a PostgreSQL URL; this script backs up PostgreSQL deployments" ;;
esac
media_root="${MEDIA_ROOT:-$ROOT/media}"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x "$ROOT/.venv/bin/python" ]]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"
final="$dest/interlinear-$stamp"
work="$dest/.interlinear-$stamp.partial"
[[ ! -e "$final" && ! -e "$work" ]] || die "$final already exists; wait a second and run again"
mkdir -m 700 "$work"
trap 'rm -rf "$work"' EXIT

echo "Dumping the database..." >&2
pg_dump --format=custom --no-owner --no-privileges --file="$work/database.dump" "$database_url"

echo "Archiving $media_root..." >&2
if [[ -d "$media_root" ]]; then
  tar --create --file="$work/media.tar" --directory="$media_root" .
else
  echo "  (no media folder yet: an empty archive)" >&2
  tar --create --file="$work/media.tar" --files-from=/dev/null
fi

if ((projects)); then
  mkdir "$work/projects"
  cd "$ROOT"
  slugs="$("$PYTHON" manage.py shell --no-imports -c \
    "from translations.models import Project; print('\n'.join(Project.objects.order_by('slug').values_list('slug', flat=True)))")"
  for slug in $slugs; do
    echo "Exporting project $slug..." >&2
    "$PYTHON" manage.py export_project "$slug" "$work/projects/$slug.zip" >/dev/null
  done
fi

(cd "$work" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum --) >"$work/SHA256SUMS"
mv "$work" "$final"
trap - EXIT
echo "Backup complete: $(wc -l <"$final/SHA256SUMS") file(s), $(du -sh "$final" | cut -f1)." >&2
echo "$final"
