from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from lifetimes import BetaGeoFitter
from lifetimes.datasets import load_cdnow_summary
from lifetimes.utils import summary_data_from_transaction_data

from siyu.analytics.clv import (
    BgNbdParams,
    expected_purchases,
    fit_bgnbd,
    lifetimes_summary,
    p_alive,
)
from tests.analytics import make_orders

AS_OF = date(2026, 11, 11)
TZ = "Asia/Shanghai"


def random_orders(seed: int, customers: int = 300) -> pa.Table:
    """Orders around the as-of day: same-day repeats, refunds, unpaid rows, orders after
    as-of, and times either side of midnight in Shanghai."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[int, datetime | None, int, int, str | None]] = []
    start = datetime(2025, 6, 1, tzinfo=UTC)
    for customer in range(1, customers + 1):
        days = rng.integers(0, 540, size=rng.integers(1, 8))
        for day in days:
            repeats = 1 + int(rng.random() < 0.25)  # some customers buy twice on a day
            for _ in range(repeats):
                moment = start + timedelta(days=int(day), minutes=int(rng.integers(0, 1440)))
                paid = int(rng.integers(100, 100_000))
                refund = int(rng.integers(0, paid)) if rng.random() < 0.1 else 0
                paid_at = None if rng.random() < 0.03 else moment
                rows.append((customer, paid_at, paid, refund, "douyin"))
    return make_orders(rows)


def lifetimes_reference(orders: pa.Table) -> pd.DataFrame:
    frame = orders.to_pandas()
    frame = frame[frame["paid_at"].notna()]
    transactions = pd.DataFrame(
        {
            "customer_id": frame["customer_id"],
            "date": frame["paid_at"].dt.tz_convert(TZ).dt.tz_localize(None).dt.normalize(),
            "amount": (frame["paid_amount_fen"] - frame["refund_amount_fen"]) / 100,
        }
    )
    return summary_data_from_transaction_data(
        transactions,
        "customer_id",
        "date",
        monetary_value_col="amount",
        observation_period_end=pd.Timestamp(AS_OF),
        freq="D",
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_summary_equals_lifetimes(seed: int) -> None:
    orders = random_orders(seed)
    ours = lifetimes_summary(orders, AS_OF, TZ).to_pandas().set_index("customer_id")
    theirs = lifetimes_reference(orders).sort_index()
    assert list(ours.index) == list(theirs.index)
    assert (ours["frequency"] > 0).sum() > 100  # the data really has repeat periods
    for column in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(ours[column].to_numpy(), theirs[column].to_numpy())
    np.testing.assert_allclose(
        ours["monetary_value"].to_numpy(), theirs["monetary_value"].to_numpy(), rtol=1e-12
    )


def test_same_day_orders_are_one_period_with_amounts_summed() -> None:
    at = datetime(2026, 11, 1, 2, tzinfo=UTC)
    orders = make_orders(
        [
            (1, at, 1000, 0, "douyin"),
            (1, at + timedelta(hours=3), 500, 0, "douyin"),  # same day: first period
            (1, at + timedelta(days=3), 200, 0, "douyin"),
            (1, at + timedelta(days=3, hours=1), 150, 50, "douyin"),  # net 100, same day
            (2, at, 700, 0, "douyin"),
        ]
    )
    rows = {r["customer_id"]: r for r in lifetimes_summary(orders, AS_OF, TZ).to_pylist()}
    assert rows[1] == {
        "customer_id": 1,
        "frequency": 1,
        "recency": 3,
        "T": 10,
        "monetary_value": 3.0,  # one repeat period of 300 fen, in yuan
    }
    assert rows[2]["frequency"] == 0
    assert rows[2]["monetary_value"] == 0.0


@pytest.fixture(scope="module")
def cdnow() -> tuple[pd.DataFrame, pa.Table]:
    frame = load_cdnow_summary()
    return frame, pa.Table.from_pandas(frame[["frequency", "recency", "T"]])


@pytest.fixture(scope="module")
def cdnow_params(cdnow: tuple[pd.DataFrame, pa.Table]) -> BgNbdParams:
    return fit_bgnbd(cdnow[1])


def test_bgnbd_fit_reproduces_the_published_cdnow_parameters(cdnow_params: BgNbdParams) -> None:
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(cdnow_params, name) == pytest.approx(value, rel=2e-3), name


def lifetimes_fitter(params: BgNbdParams) -> BetaGeoFitter:
    """lifetimes' own model holding our parameters, so the comparison isolates the formulas."""
    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series({"r": params.r, "alpha": params.alpha, "a": params.a, "b": params.b})
    return fitter


def test_p_alive_and_expected_purchases_match_lifetimes(
    cdnow: tuple[pd.DataFrame, pa.Table], cdnow_params: BgNbdParams
) -> None:
    frame, summary = cdnow
    fitter = lifetimes_fitter(cdnow_params)
    history = (frame["frequency"], frame["recency"], frame["T"])
    np.testing.assert_allclose(
        p_alive(cdnow_params, summary),
        fitter.conditional_probability_alive(*history),
        rtol=1e-9,
    )
    for weeks in (1, 10, 39):
        np.testing.assert_allclose(
            expected_purchases(cdnow_params, summary, weeks),
            fitter.conditional_expected_number_of_purchases_up_to_time(weeks, *history),
            rtol=1e-7,
        )


def test_p_alive_is_one_without_repeat_purchases(cdnow_params: BgNbdParams) -> None:
    summary = pa.table({"frequency": [0.0, 0.0], "recency": [0.0, 0.0], "T": [1.0, 300.0]})
    assert p_alive(cdnow_params, summary).tolist() == [1.0, 1.0]


def test_log_likelihood_stays_finite_for_heavy_buyers() -> None:
    # Large frequencies overflow a naive Gamma/Beta evaluation; the log form must not.
    summary = pa.table(
        {
            "frequency": [0.0, 1.0, 500.0, 2000.0] * 50,
            "recency": [0.0, 5.0, 700.0, 720.0] * 50,
            "T": [30.0, 40.0, 730.0, 730.0] * 50,
        }
    )
    params = fit_bgnbd(summary)
    assert all(np.isfinite([params.r, params.alpha, params.a, params.b]))
    assert np.all(np.isfinite(p_alive(params, summary)))
