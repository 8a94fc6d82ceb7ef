"""Testing pyview applications: drive a LiveView in process, as a browser would.

    from pyview_core.testing import live

    async with live(app, "/counter") as view:
        await view.element("#inc").click()
        assert view.has_element("#count", text="1")

:func:`live` loads a page of an app through its real ASGI interface and joins the view over the
real Channels V2 protocol; every action is checked against the page's markup (see
:mod:`pyview_core.testing.driver`); :func:`file_input` chooses files for a ``live_file_input`` and
uploads them through the real upload protocol (see :mod:`pyview_core.testing.uploads`).
:class:`ClientRendered` is the in-process model of the LiveView 1.2 client's merge that it uses
(see :mod:`pyview_core.testing.client`).
"""

from .client import ClientRendered, replay
from .errors import LiveViewTestError, LiveViewTestWarning

__all__ = [
    "ClientRendered", "Element", "FileInput", "FormHandle", "LiveViewTest", "LiveViewTestError", "LiveViewTestWarning",
    "Redirected", "SelectedFile", "file_input", "live", "replay",
]


def __getattr__(name: str):
    # The test client needs an HTML parser (selectolax, the `testing` extra); the merge model does not.
    if name in ("LiveViewTest", "Redirected", "live"):
        from . import driver

        return getattr(driver, name)
    if name in ("Element", "FormHandle"):
        from . import elements

        return getattr(elements, name)
    if name in ("FileInput", "SelectedFile", "file_input"):
        from . import uploads

        return getattr(uploads, name)
    raise AttributeError(name)
