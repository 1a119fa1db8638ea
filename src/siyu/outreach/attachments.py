"""What a broadcast sends beside its text: an image, a link, a mini-program card, or a link to a
coupon campaign or a points-mall item made for each fan.

Checked once, when the broadcast is planned: coupon campaigns and mall items are looked up in
the caller's workspace through their owners' read functions, images are decoded and kept (they
are uploaded to WeCom as temporary media at each send, since WeCom forgets them after three
days). Links go through Siyu's landing (``/h5/o/{token}``): the token is signed and names the
broadcast and, for coupons and mall items, the fan, so each open is counted per fan before the
fan is sent on to the page.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.config import get_settings, public_url
from siyu.coupons import service as coupons_service
from siyu.kit.errors import NotFound, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.sql import get_in_workspace
from siyu.loyalty import mall as loyalty_mall
from siyu.outreach.models import PERSONALISED_TYPES, Broadcast, LinkClick, OutreachMedia

MAX_IMAGE_BYTES = 2 * 2**20
IMAGE_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
LINK_SALT = "siyu.outreach-link"
LINK_MAX_AGE_SECONDS = 90 * 86400  # a message stays in the fan's chat; its link works 90 days
TRACKED_TYPES = ("link", "coupon", "mall_item")


def _invalid(field: str, message: str) -> Unprocessable:
    return Unprocessable(
        "invalid-attachment",
        title=N_("The attachment is not valid"),
        errors=[{"field": f"attachment.{field}", "message": message}],
    )


# --- checking and keeping ----------------------------------------------------------------


def decode_image(encoded: str, field: str) -> tuple[bytes, str]:
    """The image's bytes and type; a PNG or JPEG of at most 2 MiB, or 422."""
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(field, "not base64") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise _invalid(field, "larger than 2 MiB")
    for signature, content_type in IMAGE_SIGNATURES.items():
        if data.startswith(signature):
            return data, content_type
    raise _invalid(field, "not a PNG or JPEG image")


def _keep_image(session: Session, workspace_id: int, encoded: str, field: str) -> int:
    data, content_type = decode_image(encoded, field)
    media = OutreachMedia(workspace_id=workspace_id, content_type=content_type, data=data)
    session.add(media)
    session.flush()
    return media.id


def get_media(session: Session, workspace_id: int, media_id: int) -> OutreachMedia:
    not_found = NotFound("media-not-found", title=N_("Image not found"))
    return get_in_workspace(session, OutreachMedia, workspace_id, media_id, not_found)


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def prepare(
    session: Session, workspace_id: int, spec: Mapping[str, Any], channel: str
) -> dict[str, Any]:
    """The attachment as kept on the broadcast: ids checked in the workspace, images stored."""
    kind = spec.get("type")
    if kind == "image":
        return {
            "type": "image",
            "media_id": _keep_image(session, workspace_id, spec["image_base64"], "image_base64"),
        }
    if kind == "link":
        return {
            "type": "link",
            "title": spec["title"].strip(),
            "url": str(spec["url"]),
            "description": _text(spec.get("description")),
            "cover_url": _text(spec.get("cover_url")),
        }
    if kind == "miniprogram":
        if channel == "moments":
            raise _invalid("type", "moments carry no mini-program card")
        return {
            "type": "miniprogram",
            "title": spec["title"].strip(),
            "appid": spec["appid"],
            "page": spec["page"],
            "media_id": _keep_image(session, workspace_id, spec["cover_base64"], "cover_base64"),
        }
    if kind == "coupon":
        campaign = coupons_service.get_campaign(session, workspace_id, int(spec["campaign_id"]))
        return _offer("coupon", "campaign_id", campaign.id, campaign.name, None, None, spec)
    if kind == "mall_item":
        item = loyalty_mall.get_item(session, workspace_id, int(spec["item_id"]))
        return _offer(
            "mall_item", "item_id", item.id, item.name, item.description, item.image_url, spec
        )
    raise _invalid("type", "one of image, link, miniprogram, coupon, mall_item")


def _offer(
    kind: str,
    key: str,
    target_id: int,
    name: str,
    description: str | None,
    cover_url: str | None,
    spec: Mapping[str, Any],
) -> dict[str, Any]:
    """A coupon or mall item: the operator's words, or the offer's own."""
    return {
        "type": kind,
        key: target_id,
        "title": _text(spec.get("title")) or name,
        "description": _text(spec.get("description")) or _text(description),
        "cover_url": _text(spec.get("cover_url")) or _text(cover_url),
    }


def texts_of(attachment: Mapping[str, Any] | None) -> list[str]:
    """The words a fan reads on the card: what the content check looks at beside the text."""
    if not attachment:
        return []
    return [str(attachment[k]) for k in ("title", "description") if attachment.get(k)]


def is_personalised(attachment: Mapping[str, Any] | None) -> bool:
    return attachment is not None and attachment.get("type") in PERSONALISED_TYPES


def is_tracked(attachment: Mapping[str, Any] | None) -> bool:
    return attachment is not None and attachment.get("type") in TRACKED_TYPES


# --- links and their landing ---------------------------------------------------------------


@dataclass(frozen=True)
class LinkClaim:
    workspace_id: int
    broadcast_id: int
    customer_id: int | None  # None: a link shared in a group or a moment


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=LINK_SALT)


def link_token(workspace_id: int, broadcast_id: int, customer_id: int | None) -> str:
    return str(_serializer().dumps({"w": workspace_id, "b": broadcast_id, "c": customer_id or 0}))


def read_link_token(token: str) -> LinkClaim | None:
    """The claim of a genuine, unexpired token; None for anything else."""
    try:
        payload: Any = _serializer().loads(token, max_age=LINK_MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or not all(
        isinstance(payload.get(k), int) and not isinstance(payload.get(k), bool)
        for k in ("w", "b", "c")
    ):
        return None
    return LinkClaim(payload["w"], payload["b"], payload["c"] or None)


def landing_url(workspace_id: int, broadcast_id: int, customer_id: int | None) -> str:
    return public_url(f"/h5/o/{link_token(workspace_id, broadcast_id, customer_id)}")


def fan_links(workspace_id: int, broadcast_id: int, customer_ids: Sequence[int]) -> dict[int, str]:
    return {c: landing_url(workspace_id, broadcast_id, c) for c in customer_ids}


def target_of(attachment: Mapping[str, Any]) -> str:
    """Where the landing sends a fan: the offer's fan page, or the link's own address."""
    if attachment.get("type") == "coupon":
        return f"/h5/coupons/{int(attachment['campaign_id'])}"
    if attachment.get("type") == "mall_item":
        return f"/h5/points/mall/{int(attachment['item_id'])}"
    return str(attachment["url"])


def record_click(session: Session, claim: LinkClaim, at: datetime) -> None:
    """One more open; a fan's first open adds a row (counted once per fan), later ones count."""
    if _count_again(session, claim, at):
        return
    try:
        with session.begin_nested():
            session.add(
                LinkClick(
                    workspace_id=claim.workspace_id,
                    broadcast_id=claim.broadcast_id,
                    customer_id=claim.customer_id,
                    clicks=1,
                    first_at=at,
                    last_at=at,
                )
            )
    except IntegrityError:  # the same fan's first open, twice at once
        _count_again(session, claim, at)


def _count_again(session: Session, claim: LinkClaim, at: datetime) -> bool:
    fan = (
        LinkClick.customer_id.is_(None)
        if claim.customer_id is None
        else LinkClick.customer_id == claim.customer_id
    )
    found = session.scalar(
        select(LinkClick.id)
        .where(
            LinkClick.workspace_id == claim.workspace_id,
            LinkClick.broadcast_id == claim.broadcast_id,
            fan,
        )
        .limit(1)
    )
    if found is None:
        return False
    session.execute(
        update(LinkClick)
        .where(LinkClick.id == found)
        .values(clicks=LinkClick.clicks + 1, last_at=at)
        .execution_options(synchronize_session=False)
    )
    return True


def click_counts(session: Session, broadcast: Broadcast) -> tuple[int, int]:
    """(every open, fans who opened at least once)."""
    clicks, fans = session.execute(
        select(
            func.coalesce(func.sum(LinkClick.clicks), 0), func.count(LinkClick.customer_id)
        ).where(
            LinkClick.workspace_id == broadcast.workspace_id,
            LinkClick.broadcast_id == broadcast.id,
        )
    ).one()
    return int(clicks), int(fans)


# --- WeCom's attachment format ---------------------------------------------------------------


def _upload(session: Session, client: Any, workspace_id: int, media_id: int) -> str:
    media = get_media(session, workspace_id, media_id)
    extension = "png" if media.content_type == "image/png" else "jpg"
    return str(
        client.upload_media(
            media.data, file_name=f"siyu-{media.id}.{extension}", content_type=media.content_type
        )
    )


def wecom_attachments(
    session: Session,
    client: Any,
    workspace_id: int,
    attachment: Mapping[str, Any] | None,
    url: str | None,
) -> list[dict[str, Any]]:
    """``attachments`` as add_msg_template and add_moment_task take them; a link points at
    ``url`` (the landing), replaced per fan by :func:`with_url` when personalised."""
    if not attachment:
        return []
    kind = attachment["type"]
    if kind == "image":
        media = _upload(session, client, workspace_id, int(attachment["media_id"]))
        return [{"msgtype": "image", "image": {"media_id": media}}]
    if kind == "miniprogram":
        media = _upload(session, client, workspace_id, int(attachment["media_id"]))
        card = {
            "title": attachment["title"],
            "pic_media_id": media,
            "appid": attachment["appid"],
            "page": attachment["page"],
        }
        return [{"msgtype": "miniprogram", "miniprogram": card}]
    link: dict[str, Any] = {"title": attachment["title"], "url": url or ""}
    if attachment.get("cover_url"):
        link["picurl"] = attachment["cover_url"]
    if attachment.get("description"):
        link["desc"] = attachment["description"]
    return [{"msgtype": "link", "link": link}]


def with_url(attachments: list[dict[str, Any]], url: str) -> list[dict[str, Any]]:
    """The same attachments, their link pointing at ``url`` (one fan's landing)."""
    return [
        {**item, "link": {**item["link"], "url": url}} if item.get("msgtype") == "link" else item
        for item in attachments
    ]
