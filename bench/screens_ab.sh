#!/bin/bash
# Compare what a user sees in two builds of htptui, key by key, colours included.
#
# Runs this checkout's htptui and another source tree's (put on PYTHONPATH) side by side in two
# detached tmux sessions of the same size, sends both the same keys, and after each key compares
# the two screens (`tmux capture-pane -e`: text and SGR colours). Any difference is printed as a
# text diff. Made for changes that should not change a single cell, e.g. repainting less
# (a cell left stale by a skipped repaint shows here; an SVG snapshot, which renders the whole
# screen afresh, cannot see it).
#
#   git archive <old-commit> src | tar -x -C /tmp/old
#   bench/screens_ab.sh /tmp/old/src sample_data/chain8_matmul [WIDTHxHEIGHT]
#
# Environment: KEYS (tmux key names, space-separated; a default tour of panes, filter and levels),
# STEP (seconds after each key, default 1.0: modal screens and the palette fill in asynchronously,
# so a shorter step can show render timing rather than a difference), WAIT (seconds for the load,
# default 5), HTPTUI (the command, default the htptui beside this Python or on PATH).
# Exit status: 0 when every screen matched, 1 otherwise. Uses tmux sessions named ab-old and ab-new.
set -u
OTHER_SRC=${1:?usage: screens_ab.sh OTHER_SRC TRACE [WIDTHxHEIGHT]}
TRACE=${2:?usage: screens_ab.sh OTHER_SRC TRACE [WIDTHxHEIGHT]}
SIZE=${3:-160x50}
W=${SIZE%x*}
H=${SIZE#*x}
HERE=$(cd "$(dirname "$0")/.." && pwd)
HTPTUI=${HTPTUI:-$( [ -x "$HERE/.venv/bin/htptui" ] && echo "$HERE/.venv/bin/htptui" || command -v htptui )}
KEYS=${KEYS:-"2 3 4 5 1 Tab Tab BTab 2 j j slash a d d Enter Escape 3 slash m a t Enter 4 2 Escape 1 w w 5 2 r r r 4 ? Escape C-p Escape"}
STEP=${STEP:-1.0}
TMP=$(mktemp -d)
trap 'tmux kill-session -t ab-old 2>/dev/null; tmux kill-session -t ab-new 2>/dev/null; rm -rf "$TMP"' EXIT

start() {  # a tmux session whose server may still be exiting from a kill is started again
  for _ in 1 2 3 4 5; do
    tmux new-session -d -s "$1" -x "$W" -y "$H" "$2" 2>/dev/null && return 0
    sleep 1
  done
  echo "screens_ab: tmux could not start session $1" >&2
  exit 2
}
start ab-old "env PYTHONPATH=$OTHER_SRC TEXTUAL_ANIMATIONS=none $HTPTUI $TRACE"
start ab-new "env TEXTUAL_ANIMATIONS=none $HTPTUI $TRACE"
sleep "${WAIT:-5}"
n=0
bad=0
for k in $KEYS; do
  tmux send-keys -t ab-old "$k"
  tmux send-keys -t ab-new "$k"
  sleep "$STEP"
  tmux capture-pane -p -e -t ab-old > "$TMP/old"
  tmux capture-pane -p -e -t ab-new > "$TMP/new"
  n=$((n + 1))
  if ! cmp -s "$TMP/old" "$TMP/new"; then
    bad=$((bad + 1))
    echo "screens differ after key $n ($k):"
    if cmp -s <(sed 's/\x1b\[[0-9;]*m//g' "$TMP/old") <(sed 's/\x1b\[[0-9;]*m//g' "$TMP/new"); then
      echo "  (the same text, other colours)"
    else
      diff <(sed 's/\x1b\[[0-9;]*m//g' "$TMP/old") <(sed 's/\x1b\[[0-9;]*m//g' "$TMP/new") | head -12
    fi
  fi
done
echo "$n keys at ${W}x${H}: $bad screens differ"
[ "$bad" -eq 0 ]
