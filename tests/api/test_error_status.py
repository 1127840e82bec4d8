"""The core's errors carry no HTTP status; the api maps each kind, and the English sits in each class."""

from __future__ import annotations

import pytest

from api.errors import DEFAULT_STATUS_CODES, body, english, status_of
from gis import errors


@pytest.mark.parametrize(("kind", "status"), [
    (errors.MiyunError, 400), (errors.LayerError, 409), (errors.InputError, 422), (errors.CRSError, 422),
    (errors.NotFound, 404), (errors.TooLarge, 413), (errors.Conflict, 409), (errors.Unauthorized, 401),
    (errors.Forbidden, 403), (errors.TooManyRequests, 429),
])
def test_each_kind_has_its_status_on_the_api_side(kind, status):
    assert "status" not in vars(kind)
    assert status_of(kind("信息")) == status_of(kind) == status


def test_a_new_kind_takes_the_status_of_its_nearest_ancestor():
    class StaleRoster(errors.Conflict):
        code = "stale_roster"
        english = "the roster changed since it was read"

    assert status_of(StaleRoster("花名册已变化")) == 409
    assert english("stale_roster") == "the roster changed since it was read"
    assert body("stale_roster", "花名册已变化")["error"]["message_en"] == "the roster changed since it was read"


def test_every_kind_states_its_english_and_code_in_the_class():
    kinds = [k for k in vars(errors).values() if isinstance(k, type) and issubclass(k, errors.MiyunError)]
    assert set(DEFAULT_STATUS_CODES) <= set(kinds)
    for kind in kinds:
        assert "code" in vars(kind) and "english" in vars(kind), kind
        assert english(kind.code) == kind.english
    assert body("not_found", "没有这个案件") == {"error": {"code": "not_found", "message": "没有这个案件",
                                                         "message_en": "not found"}}
