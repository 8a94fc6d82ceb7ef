"""What the test client raises and warns: a mistake in the test, or in the page it tests."""

from __future__ import annotations


class LiveViewTestError(AssertionError):
    """A test asked for something the page does not offer, or the view misbehaved.

    An ``AssertionError``, so pytest reports it as a failed test. The message names the selector,
    field or event and says what the page has instead (up to five candidates).
    """


class LiveViewTestWarning(UserWarning):
    """Markup that works by luck: duplicate ids, a ``phx-change`` form without an id."""
