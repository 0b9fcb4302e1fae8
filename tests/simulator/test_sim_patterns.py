"""The simulators check phones, OTP codes and birthdays as whole values, like the providers."""

from __future__ import annotations

import aiohttp

from telcall.simulator import AICallCenterSimulator


async def test_aicallcenter_import_skips_a_phone_with_a_trailing_newline() -> None:
    """A phone with a trailing newline is not a phone: the import skips it (``$`` matched it)."""
    async with AICallCenterSimulator(seed=1) as sim, aiohttp.ClientSession() as http:
        token_url = f"{sim.base_url}/api/users/generate-access-token"
        async with http.get(token_url, params={"secret_key": sim.secret_key}) as resp:
            token = (await resp.json())["results"]["access_token"]
        url = f"{sim.base_url}/api/campaigns/{sim.campaign_id}/import"
        contacts = [{"phone_number": "0899888998\n"}, {"phone_number": "0899888997"}]
        body = {"access_token": token, "contacts": contacts}
        async with http.post(url, json=body) as resp:
            answer = await resp.json()
    assert [r["phone_number"] for r in answer["results"]] == ["0899888997"]
