"""Allow `python -m clientela ...`."""

from clientela.cli import main

main()
