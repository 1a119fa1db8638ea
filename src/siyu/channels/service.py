"""Business rules of the public channels domain: the only code here that changes state."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from siyu.channels.importer import WorkFigures, open_export, work_rows
from siyu.channels.models import (
    CONTENT_PLATFORMS,
    POST_KINDS,
    Cadence,
    ContentAccount,
    ContentUpload,
    ContentUploadReject,
    FollowerCount,
    Material,
    PlannedPost,
    Post,
    PostDay,
    PostFan,
    PostVisit,
)
from siyu.kit.clock import today, utcnow
from siyu.kit.errors import NotFound, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.sql import get_in_workspace, insert_for
from siyu.kit.tenancy import Tenant
from siyu.orders.importers.records import FatalImportError, RowError
from siyu.workspace import audit
from siyu.workspace.audit import Actor
from siyu.workspace.service import check_operators

LINK_CODE_BYTES = 6  # eight URL-safe characters
WECOM_CHANNEL = "content_post"  # the WeCom connector's channel kind for a post's live code
_IMPORT_LOCK_BASE = 0x5C0_0000


def invalid_field(field: str, message: str) -> Unprocessable:
    return Unprocessable(
        "invalid-content-field", detail=message, errors=[{"field": field, "message": message}]
    )


def check_platform(platform: str) -> str:
    if platform not in CONTENT_PLATFORMS:
        raise invalid_field("platform", N_("Choose one of the content platforms."))
    return platform


# --- accounts -----------------------------------------------------------------------------


def get_account(session: Session, workspace_id: int, account_id: int) -> ContentAccount:
    return get_in_workspace(
        session,
        ContentAccount,
        workspace_id,
        account_id,
        NotFound("content-account-not-found", title=N_("No such account")),
    )


def add_account(
    session: Session, workspace_id: int, platform: str, handle: str, url: str | None
) -> ContentAccount:
    handle = handle.strip()[:100]
    if not handle:
        raise invalid_field("handle", N_("Give the account's name on the platform."))
    existing = session.scalar(
        select(ContentAccount).where(
            ContentAccount.workspace_id == workspace_id,
            ContentAccount.platform == check_platform(platform),
            ContentAccount.handle == handle,
        )
    )
    if existing is not None:
        return existing
    account = ContentAccount(
        workspace_id=workspace_id, platform=platform, handle=handle, url=_url(url)
    )
    session.add(account)
    session.flush()
    return account


def record_followers(
    session: Session, workspace_id: int, account_id: int, day: date, followers: int
) -> None:
    """The account's follower count on ``day``; a second figure for the same day replaces it."""
    get_account(session, workspace_id, account_id)
    if followers < 0:
        raise invalid_field("followers", N_("A follower count cannot be negative."))
    statement = insert_for(session)(FollowerCount).values(
        workspace_id=workspace_id, account_id=account_id, day=day, followers=followers
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["workspace_id", "account_id", "day"],
            set_={"followers": statement.excluded.followers},
        )
    )


# --- materials and posts ------------------------------------------------------------------


def get_material(session: Session, workspace_id: int, material_id: int) -> Material:
    return get_in_workspace(
        session,
        Material,
        workspace_id,
        material_id,
        NotFound("content-material-not-found", title=N_("No such material")),
    )


def get_post(session: Session, workspace_id: int, post_id: int) -> Post:
    return get_in_workspace(
        session,
        Post,
        workspace_id,
        post_id,
        NotFound("content-post-not-found", title=N_("No such post")),
    )


@dataclass(frozen=True)
class MaterialIn:
    title: str
    copy_text: str | None = None
    media_ref: str | None = None
    tags: Sequence[str] = ()
    owner_operator_id: int | None = None
    spend_fen: int = 0


def create_material(session: Session, workspace_id: int, data: MaterialIn) -> Material:
    title = data.title.strip()[:200]
    if not title:
        raise invalid_field("title", N_("Give the material a title."))
    if data.spend_fen < 0:
        raise invalid_field("spend_fen", N_("Spend cannot be negative."))
    check_operators(session, workspace_id, [data.owner_operator_id], "owner_operator_id")
    material = Material(
        workspace_id=workspace_id,
        title=title,
        copy_text=(data.copy_text or "").strip() or None,
        media_ref=(data.media_ref or "").strip()[:500] or None,
        tags=[tag.strip()[:30] for tag in data.tags if tag.strip()][:20],
        owner_operator_id=data.owner_operator_id,
        spend_fen=data.spend_fen,
    )
    session.add(material)
    session.flush()
    return material


@dataclass(frozen=True)
class PostIn:
    platform: str
    title: str
    material_id: int | None = None
    kind: str = "video"
    platform_post_id: str | None = None
    url: str | None = None
    published_at: datetime | None = None


def add_post(session: Session, workspace_id: int, data: PostIn) -> Post:
    """A material published on a platform; a post with the same platform id is reused."""
    check_platform(data.platform)
    if data.kind not in POST_KINDS:
        raise invalid_field("kind", N_("Choose the kind of work."))
    if data.material_id is not None:
        get_material(session, workspace_id, data.material_id)
    title = data.title.strip()[:300]
    if not title:
        raise invalid_field("title", N_("Give the post a title."))
    platform_id = (data.platform_post_id or "").strip()[:64] or None
    post = None
    if platform_id:
        post = session.scalar(
            select(Post).where(
                Post.workspace_id == workspace_id,
                Post.platform == data.platform,
                Post.platform_post_id == platform_id,
            )
        )
    if post is None:
        post = Post(workspace_id=workspace_id, platform=data.platform, platform_post_id=platform_id)
        session.add(post)
    post.title, post.kind, post.url = title, data.kind, _url(data.url) or post.url
    post.published_at = data.published_at or post.published_at
    post.material_id = data.material_id if data.material_id is not None else post.material_id
    session.flush()
    return post


def attach_post(session: Session, workspace_id: int, post_id: int, material_id: int | None) -> Post:
    post = get_post(session, workspace_id, post_id)
    if material_id is not None:
        get_material(session, workspace_id, material_id)
    post.material_id = material_id
    session.flush()
    return post


def _url(text: str | None) -> str | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.startswith(("https://", "http://")):
        raise invalid_field("url", N_("A link starts with https:// or http://."))
    return text[:500]


# --- short links, visits and attribution --------------------------------------------------


def ensure_link(session: Session, workspace_id: int, post_id: int) -> Post:
    """Give the post its own short link code (kept once made)."""
    post = get_post(session, workspace_id, post_id)
    if post.link_code is None:
        post.link_code = secrets.token_urlsafe(LINK_CODE_BYTES)
        session.flush()
    return post


def post_by_code(session: Session, code: str) -> Post:
    post = session.scalar(select(Post).where(Post.link_code == code)) if len(code) <= 16 else None
    if post is None:
        raise NotFound("content-link-not-found", title=N_("This link doesn't work"))
    return post


def record_visit(session: Session, post: Post, visitor: str, customer_id: int | None) -> bool:
    """Count a visitor once per post; a known fan arriving is attributed to the post.
    Whether this visitor is new to the post."""
    statement = insert_for(session)(PostVisit).values(
        workspace_id=post.workspace_id,
        post_id=post.id,
        visitor=visitor[:32],
        customer_id=customer_id,
        created_at=utcnow(),
    )
    result = session.execute(statement.on_conflict_do_nothing())
    if customer_id is not None:
        attribute_fans(session, post.workspace_id, post.id, [customer_id], via="link")
    return bool(getattr(result, "rowcount", 0))


def attribute_fans(
    session: Session,
    workspace_id: int,
    post_id: int,
    customer_ids: Iterable[int],
    *,
    via: str,
    at: datetime | None = None,
) -> None:
    """Fans who came in through the post; a fan already attributed keeps the first post."""
    moment = at or utcnow()
    rows = [
        {
            "workspace_id": workspace_id,
            "post_id": post_id,
            "customer_id": customer_id,
            "via": via,
            "added_at": moment,
        }
        for customer_id in dict.fromkeys(customer_ids)
    ]
    if rows:
        session.execute(insert_for(session)(PostFan).on_conflict_do_nothing(), rows)


def wecom_connected(session: Session, workspace_id: int) -> bool:
    """Whether the workspace has WeCom connected, so posts can carry live codes."""
    from siyu.connectors.wecom.connection import connection_of

    return connection_of(session, workspace_id) is not None


def make_live_code(session: Session, workspace_id: int, post_id: int, actor: Actor) -> Post:
    """Give the post its own WeCom 「联系我」 live code (kept once made): fans added through it
    are attributed to the post (channel ``content_post``, the post's id)."""
    from siyu.connectors.wecom.service import create_contact_way

    post = get_post(session, workspace_id, post_id)
    if post.wecom_state is None:
        way = create_contact_way(
            session,
            workspace_id,
            channel_kind=WECOM_CHANNEL,
            channel_ref=str(post.id),
            name=post.title[:100],
            actor=actor,
        )
        post.wecom_state, post.wecom_qr_url = way.state, way.qr_code
        session.flush()
    return post


# --- calendar -----------------------------------------------------------------------------


def set_cadence(session: Session, workspace_id: int, platform: str, per_week: str) -> None:
    """The works a week a platform should get (4.5 is kept as 45 tenths); 0 removes it."""
    check_platform(platform)
    try:
        tenths = int(Decimal(per_week.strip() or "0") * 10)
    except InvalidOperation:
        raise invalid_field(
            "per_week", N_("Give the works a week as a number, e.g. 4.5.")
        ) from None
    if not 0 <= tenths <= 1000:
        raise invalid_field("per_week", N_("Give between 0 and 100 works a week."))
    session.execute(
        delete(Cadence).where(Cadence.workspace_id == workspace_id, Cadence.platform == platform)
    )
    if tenths:
        session.add(Cadence(workspace_id=workspace_id, platform=platform, tenths_per_week=tenths))
    session.flush()


def plan_post(
    session: Session,
    workspace_id: int,
    *,
    platform: str,
    kind: str,
    day: date,
    title: str,
    material_id: int | None = None,
) -> PlannedPost:
    check_platform(platform)
    if kind not in POST_KINDS:
        raise invalid_field("kind", N_("Choose the kind of work."))
    if material_id is not None:
        get_material(session, workspace_id, material_id)
    title = title.strip()[:200]
    if not title:
        raise invalid_field("title", N_("Give the planned work a title."))
    plan = PlannedPost(
        workspace_id=workspace_id,
        platform=platform,
        kind=kind,
        day=day,
        title=title,
        material_id=material_id,
    )
    session.add(plan)
    session.flush()
    return plan


def remove_plan(session: Session, workspace_id: int, plan_id: int) -> None:
    plan = get_in_workspace(
        session,
        PlannedPost,
        workspace_id,
        plan_id,
        NotFound("content-plan-not-found", title=N_("No such calendar entry")),
    )
    session.delete(plan)
    session.flush()


# --- importing creator-centre exports -----------------------------------------------------


@dataclass
class ContentImportSummary:
    file: str
    platform: str | None
    rows_read: int = 0
    rows_rejected: int = 0
    posts_created: int = 0
    posts_updated: int = 0
    upload_id: int | None = None
    fatal: str | None = None
    rejects: list[RowError] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "platform": self.platform,
            "rows_read": self.rows_read,
            "rows_rejected": self.rows_rejected,
            "posts_created": self.posts_created,
            "posts_updated": self.posts_updated,
        }


def import_export(
    session: Session,
    workspace: Tenant,
    path: Path,
    *,
    platform: str = "auto",
    actor: Actor,
    file_name: str | None = None,
    as_of: date | None = None,
    account: str | int | None = None,
) -> ContentImportSummary:
    """Import one creator-centre export: posts created or their figures updated, the day's
    figures kept as history (``as_of``, default today in the workspace's time zone). A file
    is applied whole or not at all; bad rows are listed and the good ones apply.

    The posts are linked to ``account`` (an account's id, or its handle or id as text), which
    must be on the file's platform; without one, to the platform's only account if it has one.
    """
    name = Path(file_name or str(path)).name[-255:]
    zone = ZoneInfo(workspace.timezone)
    try:
        export = open_export(path, platform)
        account_id = import_account(session, workspace.id, export.platform, account)
        rows = list(work_rows(export, zone))
    except FatalImportError as fatal:
        return _failed(session, workspace.id, name, platform, fatal, actor)
    _serialise_imports(session, workspace.id)
    savepoint = session.begin_nested()
    try:
        target = _Target(export.platform, account_id)
        summary = _apply(session, workspace, name, target, rows, as_of, actor)
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return summary


def _serialise_imports(session: Session, workspace_id: int) -> None:
    """PostgreSQL: two imports of one workspace never race to create the same post."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_IMPORT_LOCK_BASE + workspace_id)))


def _failed(
    session: Session,
    workspace_id: int,
    name: str,
    platform: str,
    fatal: FatalImportError,
    actor: Actor,
) -> ContentImportSummary:
    upload = ContentUpload(
        workspace_id=workspace_id,
        file_name=name,
        platform=None if platform == "auto" else platform,
        status="failed",
        error=fatal.message,
        operator_id=actor.id if actor.type == "operator" else None,
    )
    session.add(upload)
    session.flush()
    return ContentImportSummary(
        file=name, platform=upload.platform, upload_id=upload.id, fatal=fatal.message
    )


def import_account(
    session: Session, workspace_id: int, platform: str, account: str | int | None
) -> int | None:
    """The account an export's posts go to: the one named (by id, or by handle or id as
    text), which must be on the file's platform; else the platform's only account, if any."""
    on_platform = select(ContentAccount.id).where(
        ContentAccount.workspace_id == workspace_id, ContentAccount.platform == platform
    )
    if account is None:
        only = list(session.scalars(on_platform.limit(2)))
        return only[0] if len(only) == 1 else None
    named = _named_accounts(session, workspace_id, account)
    if not named:
        raise FatalImportError(N_("No account of this workspace has that name or id."))
    for candidate in named:
        if candidate.platform == platform:
            return candidate.id
    raise FatalImportError(
        N_(
            "The account chosen is on another platform than the file: choose an account on"
            " the file's platform."
        )
    )


def _named_accounts(
    session: Session, workspace_id: int, account: str | int
) -> list[ContentAccount]:
    """Accounts a reference names: its handle first, then its id when it is a number."""
    text = str(account).strip()
    named = [] if isinstance(account, int) else [ContentAccount.handle == text]
    if text.isdigit() and len(text) <= 18:
        named.append(ContentAccount.id == int(text))
    if not named:
        return []
    found = session.scalars(
        select(ContentAccount).where(ContentAccount.workspace_id == workspace_id, or_(*named))
    )
    return sorted(found, key=lambda a: a.handle != text)


@dataclass(frozen=True)
class _Target:
    """Where an export's works go: their platform, and the account when known."""

    platform: str
    account_id: int | None


def _apply(
    session: Session,
    workspace: Tenant,
    name: str,
    target: _Target,
    rows: list[WorkFigures | RowError],
    as_of: date | None,
    actor: Actor,
) -> ContentImportSummary:
    platform = target.platform
    works, errors = _split_rows(rows)
    upload = ContentUpload(
        workspace_id=workspace.id,
        file_name=name,
        platform=platform,
        rows_read=len(rows),
        rows_rejected=len(errors),
        operator_id=actor.id if actor.type == "operator" else None,
    )
    session.add(upload)
    session.flush()
    created, updated = _match(works, _existing_posts(session, workspace.id, platform, works))
    # One moment for every post this import writes: it finds them again for their history.
    now = utcnow()
    _create_posts(session, workspace.id, target, created, now)
    _update_posts(session, updated, target.account_id, now)
    if works:
        _record_days(
            session, workspace.id, target.platform, as_of or today(workspace.timezone), now
        )
    _store_rejects(session, workspace.id, upload.id, errors)
    upload.posts_created, upload.posts_updated = len(created), len(updated)
    summary = ContentImportSummary(
        file=name,
        platform=platform,
        rows_read=len(rows),
        rows_rejected=len(errors),
        posts_created=len(created),
        posts_updated=len(updated),
        upload_id=upload.id,
        rejects=errors,
    )
    audit.record(
        session,
        actor,
        "content.import",
        workspace_id=workspace.id,
        target_type="content_upload",
        target_id=upload.id,
        detail=summary.as_dict(),
    )
    return summary


def _split_rows(rows: list[WorkFigures | RowError]) -> tuple[list[WorkFigures], list[RowError]]:
    """Works and errors; a second row for the same work in one file is an error."""
    works: list[WorkFigures] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str | int], int] = {}
    for row in rows:
        if isinstance(row, RowError):
            errors.append(row)
            continue
        key = _identity(row)
        if key in seen:
            reason = N_("The same work appears twice in the file (first in row %(row)s).")
            errors.append(RowError(row.row, None, row.title, reason % {"row": seen[key]}))
            continue
        seen[key] = row.row
        works.append(row)
    return works, errors


def _identity(work: WorkFigures) -> tuple[str, str | int]:
    if work.post_id:
        return ("id", work.post_id)
    return (work.title, _minute(work.published_at))


def _minute(moment: datetime | None) -> int:
    """The publish time to the minute (exports differ in seconds); -1 for none."""
    return int(moment.timestamp()) // 60 if moment else -1


@dataclass
class _Existing:
    by_id: dict[str, int]
    by_title: dict[tuple[str, int], int]


def _existing_posts(
    session: Session, workspace_id: int, platform: str, works: list[WorkFigures]
) -> _Existing:
    """The platform's posts a row could name: by platform id, or by title and publish time."""
    found = _Existing({}, {})
    if not works:
        return found
    statement = select(Post.id, Post.platform_post_id, Post.title, Post.published_at).where(
        Post.workspace_id == workspace_id, Post.platform == platform
    )
    for post_id, platform_id, title, published_at in session.execute(statement):
        if platform_id:
            found.by_id[platform_id] = post_id
        found.by_title.setdefault((title, _minute(published_at)), post_id)
    return found


def _match(
    works: list[WorkFigures], existing: _Existing
) -> tuple[list[WorkFigures], list[tuple[int, WorkFigures]]]:
    """The works that are new posts, and the stored posts the others update."""
    created: list[WorkFigures] = []
    updated: list[tuple[int, WorkFigures]] = []
    for work in works:
        post_id = _key_of(work, existing)
        if post_id is None:
            created.append(work)
        else:
            updated.append((post_id, work))
    return created, updated


def _key_of(work: WorkFigures, existing: _Existing) -> int | None:
    if work.post_id and work.post_id in existing.by_id:
        return existing.by_id[work.post_id]
    return existing.by_title.get((work.title, _minute(work.published_at)))


_FIGURE_NAMES = ("plays", "likes", "comments", "shares", "favorites", "follower_gain")


def _figures(work: WorkFigures) -> dict[str, Any]:
    return {
        "plays": work.plays,
        "likes": work.likes,
        "comments": work.comments,
        "shares": work.shares,
        "favorites": work.favorites,
        "follower_gain": work.follower_gain,
    }


_NEW_POST_COLUMNS = (
    "kind",
    "platform_post_id",
    "url",
    "title",
    "published_at",
    "completion_permille",
    "avg_watch_seconds",
    *_FIGURE_NAMES,
)


def _create_posts(
    session: Session, workspace_id: int, target: _Target, works: list[WorkFigures], now: datetime
) -> None:
    if not works:
        return
    fixed = {
        "workspace_id": workspace_id,
        "account_id": target.account_id,
        "platform": target.platform,
        "figures_at": now,
        "created_at": now,
    }
    rows = (
        (
            work.kind,
            work.post_id,
            work.url,
            work.title,
            work.published_at,
            work.completion_permille,
            work.avg_watch_seconds,
            work.plays,
            work.likes,
            work.comments,
            work.shares,
            work.favorites,
            work.follower_gain,
        )
        for work in works
    )
    _insert_plain(session, cast(Table, Post.__table__), fixed, _NEW_POST_COLUMNS, rows)


def _insert_plain(
    session: Session,
    table: Table,
    fixed: dict[str, Any],
    names: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
) -> None:
    """INSERT many rows handed to the driver as plain tuples, made one at a time as it takes
    them: SQLAlchemy's per-row parameter handling, and holding every row's parameters at once
    (the garbage collector walks them all, again and again), cost more than the insert itself
    at an export's size. Each column's own bind processing (UTC moments, the store's date
    format) still applies: once for the values every row shares (``fixed``), per row only for
    the columns of ``names`` that have one."""
    connection = session.connection()
    dialect = connection.dialect

    def processor(name: str) -> Any:
        return table.c[name].type.dialect_impl(dialect).bind_processor(dialect)

    shared = tuple(
        (process(value) if (process := processor(name)) else value) for name, value in fixed.items()
    )
    processed = [(i, process) for i, name in enumerate(names) if (process := processor(name))]
    columns = [*fixed, *names]
    compiled = (
        insert(table).values({name: bindparam(name) for name in columns}).compile(dialect=dialect)
    )
    pick: Callable[[tuple[Any, ...]], Any]
    if compiled.positional:  # the statement lists its columns in the table's order
        pick = itemgetter(*(columns.index(name) for name in compiled.positiontup or ()))
    else:

        def pick(values: tuple[Any, ...]) -> Any:
            return dict(zip(columns, values, strict=True))

    def parameters(row: tuple[Any, ...]) -> Any:
        if processed:
            values = list(row)
            for index, process in processed:
                values[index] = process(values[index])
            row = tuple(values)
        return pick(shared + row)

    cursor = connection.connection.cursor()
    try:
        # sqlite3 and psycopg take any iterable here, whatever the DB-API stub says.
        cursor.executemany(compiled.string, cast(Any, map(parameters, rows)))
    finally:
        cursor.close()


def _update_posts(
    session: Session,
    updates: list[tuple[int, WorkFigures]],
    account_id: int | None,
    now: datetime,
) -> None:
    if not updates:
        return
    # An import that knows its account links the posts it updates; one that does not leaves
    # their account as it was.
    linked = {"account_id": account_id} if account_id is not None else {}
    rows = [
        {
            "id": post_id,
            **linked,
            "figures_at": now,
            "completion_permille": work.completion_permille,
            "avg_watch_seconds": work.avg_watch_seconds,
            **_figures(work),
            # A platform id a later export gives completes a post first matched by its title.
            **({"platform_post_id": work.post_id} if work.post_id else {}),
        }
        for post_id, work in updates
    ]
    session.execute(update(Post), rows)


def _record_days(
    session: Session, workspace_id: int, platform: str, day: date, figures_at: datetime
) -> None:
    """The day's figures of every post the import just wrote (their ``figures_at`` is its
    moment), copied from the posts in one statement; a second import that day replaces them."""
    names = list(_FIGURE_NAMES)
    touched = select(
        Post.workspace_id, Post.id, literal(day, Date), *(Post.__table__.c[n] for n in names)
    ).where(
        Post.workspace_id == workspace_id,
        Post.platform == platform,
        Post.figures_at == figures_at,
    )
    statement = insert_for(session)(PostDay).from_select(
        ["workspace_id", "post_id", "day", *names], touched
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["workspace_id", "post_id", "day"],
            set_={name: statement.excluded[name] for name in names},
        )
    )


def _store_rejects(
    session: Session, workspace_id: int, upload_id: int, errors: list[RowError]
) -> None:
    if errors:
        session.execute(
            insert(ContentUploadReject),
            [
                {
                    "workspace_id": workspace_id,
                    "upload_id": upload_id,
                    "row_number": error.row,
                    "column_name": (error.column or None) and error.column[:100],
                    "value": None if error.value is None else error.value[:500],
                    "reason": error.reason[:300],
                }
                for error in errors
            ],
        )
