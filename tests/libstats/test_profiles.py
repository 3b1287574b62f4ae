"""Deny by default: roles may only get stricter; unknown columns only 'drop'."""

from __future__ import annotations

import pytest

from libstats.config import Source
from libstats.errors import ConfigError
from libstats.profiles import PROFILES, resolve


def src(**kw):
    base = dict(name="s", kind="circulation", format="koha_statistics", path="x.csv")
    base.update(kw)
    return Source(**base)


def test_every_profile_column_has_a_valid_role():
    for profile in PROFILES.values():
        for col, spec in profile.columns.items():
            assert spec.role.split(":")[0] in ("drop", "keep", "token", "generalize"), col


@pytest.mark.parametrize("columns, fragment", [
    pytest.param({"other": "keep"}, "cannot honour role 'keep'", id="free-text-to-keep"),
    pytest.param({"borrowernumber": "keep"}, "cannot honour", id="identifier-to-keep"),
    pytest.param({"datetime": "keep"}, "cannot honour", id="timestamp-to-keep"),
    pytest.param({"datetime": "drop"}, "cannot be dropped", id="required-field-dropped"),
    pytest.param({"newcol": "keep"}, "can only be classified as 'drop'", id="unknown-col-keep"),
])
def test_looser_roles_are_refused(columns, fragment):
    with pytest.raises(ConfigError, match=fragment):
        resolve(src(columns=columns), "lib.toml")


def test_stricter_roles_and_extra_dropped_columns_are_accepted():
    r = resolve(src(columns={"itemtype": "drop", "newcol": "drop"}), "lib.toml")
    assert r.roles["itemtype"] == "drop" and r.roles["newcol"] == "drop"
    # A dropped field is still used inside the run (classification) but never written out.
    assert r.fields["item_type"] == "itemtype" and not r.written("item_type")
    assert r.written("location")


def test_item_ids_are_dropped_unless_the_config_asks_for_item_tokens():
    assert not resolve(src(), "lib.toml").tokenized("item_id")
    r = resolve(src(columns={"itemnumber": "token:koha_item"}), "lib.toml")
    assert r.tokenized("item_id") and r.token_domain("itemnumber") == "koha_item"
    # the dropped item id still joins the items export: same token domain
    assert resolve(src(), "lib.toml").token_domain("itemnumber") == "koha_item"


def test_format_kind_mismatch():
    with pytest.raises(ConfigError, match="is a 'circulation' source"):
        resolve(src(kind="patrons"), "lib.toml")


def test_generic_csv_needs_roles_and_mapping():
    ok = resolve(src(format="csv", columns={"When": "generalize:day", "Site": "keep",
                                            "Card": "token:destiny", "Name": "drop"},
                     mapping={"event_ts": "When", "branch": "Site", "patron_id": "Card"}),
                 "lib.toml")
    assert ok.fields == {"event_ts": "When", "branch": "Site", "patron_id": "Card"}
    with pytest.raises(ConfigError, match="needs role 'token'"):
        resolve(src(format="csv", columns={"When": "generalize:day", "Site": "keep",
                                           "Card": "keep"},
                    mapping={"event_ts": "When", "branch": "Site", "patron_id": "Card"}),
                "lib.toml")
    with pytest.raises(ConfigError, match="needs a field"):
        resolve(src(format="csv", columns={"When": "generalize:day", "Site": "keep",
                                           "Extra": "keep"},
                    mapping={"event_ts": "When", "branch": "Site"}), "lib.toml")
