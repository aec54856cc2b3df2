#!/usr/bin/env bash
# The import step of `make run` (and `make demo`): run `jobfeed import` (or `jobfeed demo`), then say in the
# last line what happened and what the command's exit code meant.
#
#   bash scripts/run_import.sh [import|demo] [jobfeed options...]
#
# Exit code: 0 when the import ran, also when feeds failed (offline, every real feed fails: that is a result,
# shown in the table above, not a broken `make run`); 2 when it could not run (bad configuration, database
# unreachable, a crash), so that make stops with its own "Error". Scripts that need the feeds' outcome call
# `jobfeed import` itself: 0 every feed ok, 1 some feed failed or was partial, 2 bad configuration.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
JOBFEED="${JOBFEED:-.venv/bin/jobfeed}"  # the tests point it at `python -m jobfeed`
command="${1:-import}"
shift || true

# shellcheck disable=SC2086  # JOBFEED may be a command with arguments
$JOBFEED "$command" "$@"
code=$?
if [ "$code" = 1 ] && ! $JOBFEED logs --limit 1 --json >/dev/null 2>&1; then
  code=db  # exit 1 is also `jobfeed import`'s answer when the database does not answer
fi

echo
echo "The jobfeed command is .venv/bin/jobfeed (e.g. .venv/bin/jobfeed logs), or first: source .venv/bin/activate"
case "$code" in
  0) echo "Import finished: every feed ok (\`jobfeed $command\` exit 0)."; exit 0 ;;
  1) echo "Import finished: some feeds failed or were partial, see above (\`jobfeed $command\` exit 1; make run still succeeds)."; exit 0 ;;
  2) echo "Import did not run: bad configuration, see above (\`jobfeed $command\` exit 2)."; exit 2 ;;
  db) echo "Import did not run: the database did not answer, see above (\`jobfeed $command\` exit 1)."; exit 2 ;;
  *) echo "Import did not finish: \`jobfeed $command\` exit $code, see above."; exit 2 ;;
esac
