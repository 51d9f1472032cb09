"""``python -m htptui.synth OUT_DIR``: regenerate the bundled synthetic samples."""

from htptui.synth.samples import main

raise SystemExit(main())
