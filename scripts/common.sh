# Shared by the scripts in this folder. Sourced, not run.

# Versions the project pins: the ONNX Runtime library the `ort` crate loads, and the WebDriver
# bridge the end-to-end test drives the window through.
ORT_VERSION=1.32.0
TAURI_DRIVER_VERSION=2.0.6

# Builds go to a target folder outside the clone (so that fresh clones, as in CI, reuse it)
# unless the caller chose one.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/popbooth/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-auto}"

step() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }
