"""``/track/[reference]?k=<access token>``: the depositor's private tracking link (from the receipt
page and the e-mail). The token is read from the URL on the server and checked by the service."""

from __future__ import annotations

import reflex as rx

from mrasla_app import db
from mrasla_app.services.errors import DomainError
from mrasla_app.services.portal import tracking
from mrasla_app.ui import routes
from mrasla_app.ui.components.forms import messages, page_title
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.i18n import t
from mrasla_app.ui.pages.portal.common import PortalState, TrackingViewMixin, lookup_limit, tracking_view

ROUTE = routes.TRACK_LINK
TITLE = "Suivi · التتبع — Mrasla"


class TrackLinkState(TrackingViewMixin, PortalState):
    @rx.event
    def on_load(self):
        self._show_actor(self._actor())
        self._clear_messages()
        self._set_view(None)
        try:
            self._limit(lookup_limit)
        except DomainError as exc:
            self._fail(exc)
            return
        reference, token = self._route_arg(1), self._query("k")
        with db.read_session() as session:
            corr = tracking.by_access_token(session, reference, token)
            view = tracking.view(session, corr) if corr is not None else None
        self._set_view(view)
        if view is None:
            self._fail(DomainError("error.tracking_link"))


def page() -> rx.Component:
    return layout(
        page_title("track.title"),
        messages(TrackLinkState),
        rx.cond(TrackLinkState.tv_found, tracking_view(TrackLinkState)),
        rx.el.a(t("track.restart"), href=routes.TRACK, class_name="btn btn-ghost", data_testid="track-other"),
        active="track",
    )


ON_LOAD = TrackLinkState.on_load
