"""Day fields are typed in the page's format (jj/mm/aaaa) on every page: one parser for all of them."""

from datetime import date

import pytest

from mrasla_app.services.errors import DomainError
from mrasla_app.ui.components.dates import day_text, parse_day
from mrasla_app.ui.pages.inbox import _day
from mrasla_app.ui.pages.registry_export import _period


def test_day_typed_as_shown_or_iso():
    assert parse_day("5/12/2026") == date(2026, 12, 5)
    assert parse_day(" 05/12/2026 ") == date(2026, 12, 5)
    assert parse_day("2026-12-05") == date(2026, 12, 5)  # a bookmarked link from before
    assert parse_day("") is None
    assert day_text(date(2026, 1, 5)) == "05/01/2026"
    for bad in ("31/02/2026", "12/2026", "demain", "2026-13-01"):
        with pytest.raises(DomainError) as exc:
            parse_day(bad)
        assert exc.value.code == "error.invalid_date"


def test_inbox_filter_and_export_period_read_the_typed_format():
    assert _day("01/12/2026") == date(2026, 12, 1)
    assert _day("32/12/2026") is None
    assert _period("01/12/2026", "05/12/2026") == (date(2026, 12, 1), date(2026, 12, 5))
    assert _period("05/12/2026", "01/12/2026") == "error.invalid_period"
    assert _period("05/12/2026", "") == "error.invalid_date"
