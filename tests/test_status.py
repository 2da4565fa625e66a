"""`cffunc status` says what is so, as a new user would run it against the local API:
nothing published after `destroy`, and each field of the JSON document named for what it
means (``maintenance`` is maintenance everywhere; ``associated`` says where the function
runs)."""

from __future__ import annotations

import json
from pathlib import Path

from cffunc.emulator.server import RunningEmulator
from tests.test_deploy import cffunc, config_file
from tests.test_toggle import kvs_config, ok


def test_after_destroy_status_says_not_published(emulator: RunningEmulator, tmp_path: Path) -> None:
    config = config_file(tmp_path)
    ok(cffunc(emulator, config, "enable"))
    ok(cffunc(emulator, config, "disable"))
    ok(cffunc(emulator, config, "destroy"))
    text = ok(cffunc(emulator, config, "status"))
    assert "function shop-maintenance: not published (DEVELOPMENT -, LIVE -)" in text
    assert "differs" not in text
    document = json.loads(ok(cffunc(emulator, config, "status", "--json")))
    assert document["function"]["published"] is False
    assert document["function"]["live_matches_local"] is None
    assert document["maintenance"] == "off"


def test_association_status_per_distribution(emulator: RunningEmulator, tmp_path: Path) -> None:
    config = config_file(tmp_path)
    ok(cffunc(emulator, config, "enable"))
    document = json.loads(ok(cffunc(emulator, config, "status", "--json")))
    assert document["function"]["published"] is True
    assert document["function"]["live_matches_local"] is True
    (distribution,) = document["distributions"]
    assert (distribution["associated"], distribution["maintenance"]) == ("all", "on")
    assert document["maintenance"] == "on"
    ok(cffunc(emulator, config, "disable"))
    document = json.loads(ok(cffunc(emulator, config, "status", "--json")))
    (distribution,) = document["distributions"]
    assert (distribution["associated"], distribution["maintenance"]) == ("none", "off")
    assert "distribution E2EXAMPLE12345: Deployed, maintenance off" in ok(
        cffunc(emulator, config, "status")
    )


def test_store_status_names_association_apart_from_maintenance(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Installed and switched off: the function runs on every behavior, and maintenance
    is off, at the top and on each distribution alike."""
    config = kvs_config(tmp_path)
    ok(cffunc(emulator, config, "install"))
    document = json.loads(ok(cffunc(emulator, config, "status", "--json")))
    assert document["maintenance"] == "off" and document["installed"] == "on"
    (distribution,) = document["distributions"]
    assert distribution["associated"] == "all"
    assert distribution["maintenance"] == "off"
    text = ok(cffunc(emulator, config, "status"))
    assert "function associated: yes" in text and text.endswith("maintenance: off\n")
    ok(cffunc(emulator, config, "enable"))
    document = json.loads(ok(cffunc(emulator, config, "status", "--json")))
    assert document["maintenance"] == "on"
    assert [(d["associated"], d["maintenance"]) for d in document["distributions"]] == [
        ("all", "on")
    ]


def test_a_reason_with_terminal_escapes_is_shown_escaped(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A --reason (anyone who can write the store can set one) reaches status and the
    done lines with its control characters escaped; --json keeps it exact."""
    config = kvs_config(tmp_path)
    ok(cffunc(emulator, config, "install"))
    reason = "db\x1b]0;PWNED\x07\x1b]52;c;aGk=\x07"
    enabled = cffunc(emulator, config, "enable", "--host", "shop.example.com", "--reason", reason)
    text = ok(enabled) + enabled.stderr + ok(cffunc(emulator, config, "status"))
    assert "\x1b" not in text and "\x07" not in text
    assert "(db\\x1b]0;PWNED\\x07\\x1b]52;c;aGk=\\x07)" in text
    document = json.loads(ok(cffunc(emulator, config, "status", "--json")))
    assert document["store"]["scopes"][0]["reason"] == reason
