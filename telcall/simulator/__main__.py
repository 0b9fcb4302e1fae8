"""`python -m telcall.simulator [--provider tel4vn|omicall|aicallcenter] --port 8080 ...`."""

from telcall.simulator._serve import main

main()
