"""CLV inputs and the BG/NBD model: the lifetimes-compatible summary, a maximum-likelihood fit,
probability alive and expected purchases.

The model is Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative
to the Pareto/NBD Model". For a customer with ``x`` repeat purchases, the last at ``t_x``, observed
for ``T`` periods since the first purchase:

    L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
      + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

Everything here works in logs (gammaln, logaddexp) so large ``x`` and ``T`` don't overflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy.optimize import minimize
from scipy.special import expit, gammaln, hyp2f1

from siyu.analytics.engine import require_columns, run_sql
from siyu.analytics.metrics import ORDER_COLUMNS, PAID_ORDERS_SQL
from siyu.kit.clock import DEFAULT_TIMEZONE

Vector = npt.NDArray[np.float64]

# One row per (customer, business day): several orders on a day are one period, amounts
# summed. Frequency counts periods after the first; monetary_value averages the repeat
# periods only, in yuan (fen / 100), 0 when there are none -- as lifetimes does.
_SUMMARY_SQL = f"""
WITH paid AS ({PAID_ORDERS_SQL}),
periods AS (
    SELECT customer_id, paid_day, sum(net_fen) AS period_fen
    FROM paid
    GROUP BY customer_id, paid_day
)
SELECT
    customer_id,
    count(*) - 1 AS frequency,
    max(paid_day) - min(paid_day) AS recency,
    CAST($as_of AS DATE) - min(paid_day) AS "T",
    -- mean of the repeat periods = (all periods - the first one) / (periods - 1)
    CASE WHEN count(*) > 1
        THEN CAST(sum(period_fen) - arg_min(period_fen, paid_day) AS DOUBLE)
             / (count(*) - 1) / 100
        ELSE 0.0 END AS monetary_value
FROM periods
GROUP BY customer_id
ORDER BY customer_id
"""  # noqa: S608 -- built from module constants; values are bound


def lifetimes_summary(orders: pa.Table, as_of: date, tz: str = DEFAULT_TIMEZONE) -> pa.Table:
    """``customer_id, frequency, recency, T`` (int64 days) and ``monetary_value`` (float yuan).

    Equal to ``lifetimes.utils.summary_data_from_transaction_data(df, 'customer_id', 'date',
    monetary_value_col='amount', observation_period_end=as_of, freq='D')`` where ``date`` is
    each paid order's business day in ``tz`` and ``amount`` its net paid amount in yuan. Orders
    after the as-of day are ignored; the as-of day itself counts.
    """
    require_columns(orders, "orders", ORDER_COLUMNS)
    return run_sql(_SUMMARY_SQL, {"orders": orders}, {"as_of": as_of, "tz": tz})


@dataclass(frozen=True)
class BgNbdParams:
    """BG/NBD parameters: purchase rate ~ Gamma(r, alpha); drop-out p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


def _columns(summary: pa.Table) -> tuple[Vector, Vector, Vector]:
    require_columns(summary, "summary", ("frequency", "recency", "T"))
    return tuple(  # type: ignore[return-value]
        np.asarray(summary.column(name).to_numpy(), dtype=np.float64)
        for name in ("frequency", "recency", "T")
    )


def _log_dropout_term(params: BgNbdParams, x: Vector, t_x: Vector, t: Vector) -> Vector:
    """log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x): the weight of "dropped out after the
    last purchase" against "still alive"; -inf when x = 0 (nobody can drop before buying again).
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    # b + x - 1 is only evaluated where x >= 1, so it stays positive.
    safe_x = np.where(repeat, x, 1.0)
    term = (
        np.log(a)
        - np.log(b + safe_x - 1)
        + (r + safe_x) * (np.log(alpha + t) - np.log(alpha + t_x))
    )
    return np.where(repeat, term, -np.inf)


@dataclass(frozen=True)
class _Distinct:
    """A column as its distinct values and, per row, the index of its value: the likelihood's
    costly functions (gammaln, log) then run over a few hundred distinct values instead of
    every row, and a gather spreads them back."""

    values: Vector
    index: npt.NDArray[np.intp]

    @classmethod
    def of(cls, column: Vector) -> _Distinct:
        values, index = np.unique(column, return_inverse=True)
        return cls(values, index)


def _log_likelihood(params: BgNbdParams, x: _Distinct, t_x: _Distinct, t: _Distinct) -> Vector:
    """Per-row log-likelihood of the BG/NBD model:

    ln G(r+x) - ln G(r) + r ln alpha + ln G(a+b) + ln G(b+x) - ln G(b) - ln G(a+b+x)
    + logaddexp(alive, alive + dropout),   alive = -(r+x) ln(alpha+T)
    dropout = ln a - ln(b+x-1) + (r+x)(ln(alpha+T) - ln(alpha+t_x)), only where x > 0
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    xs = x.values
    per_x = gammaln(r + xs) + gammaln(b + xs) - gammaln(a + b + xs)
    constant = -gammaln(r) + r * np.log(alpha) + gammaln(a + b) - gammaln(b)
    # b + x - 1 is only used where x >= 1, so it stays positive.
    log_b_x = np.log(b + np.where(xs > 0, xs, 1.0) - 1)
    log_alpha_t = np.log(alpha + t.values)[t.index]
    log_alpha_tx = np.log(alpha + t_x.values)[t_x.index]
    row_x = xs[x.index]
    alive = -(r + row_x) * log_alpha_t
    dropout = np.log(a) - log_b_x[x.index] + (r + row_x) * (log_alpha_t - log_alpha_tx)
    dropped = np.where(row_x > 0, alive + dropout, -np.inf)
    result: Vector = per_x[x.index] + constant + np.logaddexp(alive, dropped)
    return result


def fit_bgnbd(summary: pa.Table) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters for a summary (columns frequency, recency, T).

    The four parameters are optimised on the log scale (so they stay positive) with L-BFGS-B
    from r = alpha = a = b = 1. Units follow the summary (days for :func:`lifetimes_summary`).
    """
    x, t_x, t = _columns(summary)
    if len(x) == 0:
        raise ValueError("cannot fit BG/NBD on an empty summary")
    # Identical customers contribute identical terms: fit on the distinct rows, weighted.
    rows, weights = np.unique(np.column_stack([x, t_x, t]), axis=0, return_counts=True)
    ux, ut_x, ut = (_Distinct.of(rows[:, i]) for i in range(3))
    total = weights.sum()

    def negative_mean_log_likelihood(log_params: Vector) -> float:
        params = BgNbdParams(*np.exp(log_params))
        # An elementwise product and sum, not np.dot: BLAS threads spin on a busy machine
        # and made each evaluation ten times slower.
        return float(-(weights * _log_likelihood(params, ux, ut_x, ut)).sum() / total)

    fitted = minimize(
        negative_mean_log_likelihood,
        x0=np.zeros(4),
        method="L-BFGS-B",
        options={"ftol": 1e-12, "gtol": 1e-8, "maxiter": 1000},
    )
    if not fitted.success:
        raise RuntimeError(f"BG/NBD fit did not converge: {fitted.message}")
    return BgNbdParams(*(float(v) for v in np.exp(fitted.x)))


def p_alive(params: BgNbdParams, summary: pa.Table) -> Vector:
    """Probability each customer is still alive: 1 / (1 + dropout term); 1 when x = 0."""
    x, t_x, t = _columns(summary)
    result: Vector = expit(-_log_dropout_term(params, x, t_x, t))
    return result


def expected_purchases(params: BgNbdParams, summary: pa.Table, t_days: float) -> Vector:
    """Expected purchases in the next ``t_days`` periods (the summary's unit: days for
    :func:`lifetimes_summary`), given each customer's history (FHL 2005, eq. 10):

        (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
        * p_alive
    """
    x, _, t = _columns(summary)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    horizon = alpha + t + t_days
    hyper = hyp2f1(r + x, b + x, a + b + x - 1, t_days / horizon)
    shrink = np.exp((r + x) * (np.log(alpha + t) - np.log(horizon)))
    result: Vector = (a + b + x - 1) / (a - 1) * (1 - shrink * hyper) * p_alive(params, summary)
    return result
