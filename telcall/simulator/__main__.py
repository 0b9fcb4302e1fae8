"""`python -m telcall.simulator [--provider NAME] --port 8080 ...`: any registered simulator."""

from telcall.simulator._serve import main

main()
