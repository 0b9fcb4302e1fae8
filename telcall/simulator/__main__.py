"""`python -m telcall.simulator --port 8080 --cdrs N ...`: run the TEL4VN simulator."""

from telcall.simulator._serve import main

main()
