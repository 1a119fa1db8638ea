"""The demo exports: real formats, deterministic, and shaped like a live-commerce shop."""

import codecs
import csv
import io
import random
import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from siyu.demo.exports import DemoShape, generate_demo_exports, write_taobao_classic_csv
from siyu.demo.population import order_counts

UNTIL = date(2026, 11, 22)
SMALL = DemoShape(fans=500, orders=3_000, months=18, seed=7)


def names(text: str) -> list[str]:
    return text.split()


# Header lists copied from the export formats document (trailing spaces are real).
TAOBAO_CLASSIC = [
    "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分",
    "总金额", "返点积分", "买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言",
    "收货人姓名", "收货地址 ", "运送方式", "联系电话 ", "联系手机", "订单创建时间",
    "订单付款时间 ", "宝贝标题 ", "宝贝种类 ", "物流单号 ", "物流公司", "订单备注",
    "宝贝总数量", "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费", "买家服务费", "发票抬头",
    "是否手机订单", "分阶段订单信息", "特权订金订单id", "定金排名", "修改后的sku",
    "修改后的收货地址", "异常信息", "天猫卡券抵扣", "集分宝抵扣", "是否是O2O交易",
]  # fmt: skip
TAOBAO_LATER = ["退款金额", "确认收货时间", "打款商家金额", "支付单号"]
TAOBAO_DETAIL = [
    "订单编号", "标题", "价格", "购买数量", "外部系统编号", "商品属性", "套餐信息", "备注",
    "订单状态", "商家编码",
]  # fmt: skip
TAOBAO_DETAIL_LATER = ["子订单编号", "主订单编号", "支付单号", "退款状态", "退款金额"]
DOUYIN = names(
    """
    主订单编号 子订单编号 选购商品 商品规格 商品数量 商品ID 商家编码
    商品单价 订单应付金额 运费 优惠总金额 平台优惠 商家优惠 达人优惠 商家改价
    支付优惠 红包抵扣 支付方式 手续费 收件人 收件人手机号 省 市 区 街道
    详细地址 是否修改过地址 地址修改时段 买家留言 订单提交时间 旗帜颜色
    商家备注 订单完成时间 支付完成时间 APP渠道 流量来源 订单状态
    承诺发货时间 订单类型 鲁班落地页ID 达人ID 达人昵称 所属门店ID
    售后状态 取消原因 预约发货时间 仓库ID 仓库名称
    """
)
KUAISHOU = names(
    """
    订单号 赠品订单号 活动订单编号 订单创建时间 订单支付时间 预售定金支付时间
    订单状态 实付款 快递费 店铺优惠 平台补贴 主播补贴 混资活动优惠 支付优惠
    支付方式 成交数量 买家留言 账号类型 账号明细 订单备注 旗帜颜色 售后状态
    活动订单 预售/承诺发货时间 订单载体 商品名称 商品ID 商品规格 SKU编码
    商品单价 渠道 CPS达人ID CPS达人昵称 预估推广佣金 收货人姓名
    收货人电话 收货地址-省 收货地址-市 收货地址-区 收货地址-街道 收货地址
    发货时间 快递公司 快递单号
    """
)
YOUZAN = names(
    """
    订单号 销售渠道 归属店铺 订单类型 订单状态 推广方式 订单来源 订单创建时间
    买家付款时间 交易成功时间 付款方式 支付流水号 商品金额合计 运费
    店铺优惠合计 应收订单金额 订单实付金额 支付优惠合计 订单实收金额
    订单抵用积分数 收货人/提货人 收货人手机号/提货人手机号 买家备注 订单星级
    买家昵称 买家是否会员 买家手机号 分销员 销售导购 专属导购 订单退款状态
    订单已退款金额 分销员 分销员手机号 全部商品名称 商品购买数量
    """
)
XIAOHONGSHU = names(
    """
    订单号 订单状态 售后状态 订单类型 订单标记 收件人姓名 收件人电话
    收件人地址 省 市 区 区域编码 小红书编码 条形码 规格ID 达人ID
    达人名称 SKU名称 SKU规格 SKU件数 是否为赠品 商品总价(元)
    用户应付金额(元) 平台优惠(元) 店铺优惠(元) 支付渠道优惠(元)
    SKU商家改价(元) 商家应收金额(元)（支付金额） 支付方式 支付时间
    快递公司 快递单号 订单创建时间 承诺发货时间 商家编码 商品ID 商品名称
    """
)
MOBILE = re.compile(r"^1[3-9]\d{9}$")


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    paths = generate_demo_exports(tmp_path_factory.mktemp("demo"), SMALL, until=UNTIL)
    return {path.name: path for path in paths}


def read_csv(path: Path, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


def named(exports: dict[str, Path], prefix: str) -> list[Path]:
    return sorted(path for name, path in exports.items() if name.startswith(prefix))


def only(exports: dict[str, Path], prefix: str) -> Path:
    (path,) = named(exports, prefix)
    return path


def taobao_orders(exports: dict[str, Path]) -> list[dict[str, str]]:
    orders = []
    for path in named(exports, "ExportOrderList"):
        header, *rows = read_csv(path, "gb18030")
        orders += [dict(zip(header, row, strict=True)) for row in rows]
    return orders


def test_every_platform_gets_files_named_as_the_back_ends_name_them(exports):
    names = sorted(exports)
    assert len(named(exports, "ExportOrderList")) == 3  # 18 months, one per half year
    assert len(named(exports, "ExportOrderDetailList")) == 3
    assert all(re.fullmatch(r"Export\w+List20261122\d{4}\.csv", n) for n in names[:6])
    for prefix in ("抖店订单导出_", "快手小店订单导出_", "有赞订单导出_", "小红书订单导出_"):
        assert re.fullmatch(rf"{prefix}20261122\d{{6}}\.(csv|xlsx)", only(exports, prefix).name)


def test_taobao_files_are_gb18030_with_the_real_headers(exports):
    newest, middle, oldest = reversed(named(exports, "ExportOrderList"))
    assert read_csv(newest, "gb18030")[0] == TAOBAO_CLASSIC + TAOBAO_LATER
    assert read_csv(middle, "gb18030")[0] == TAOBAO_CLASSIC + TAOBAO_LATER
    assert read_csv(oldest, "gb18030")[0] == TAOBAO_CLASSIC
    with pytest.raises(UnicodeDecodeError):
        newest.read_bytes().decode("utf-8")
    details = named(exports, "ExportOrderDetailList")
    assert read_csv(details[-1], "gb18030")[0] == TAOBAO_DETAIL + TAOBAO_DETAIL_LATER
    assert read_csv(details[0], "gb18030")[0] == TAOBAO_DETAIL


def test_taobao_quirks_text_guards_and_two_date_styles(exports):
    newest, _, oldest = reversed(named(exports, "ExportOrderList"))
    new_row = dict(zip(*read_csv(newest, "gb18030")[:2], strict=True))
    old_row = dict(zip(*read_csv(oldest, "gb18030")[:2], strict=True))
    assert re.fullmatch(r'="1930\d{15}"', new_row["订单编号"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", new_row["订单创建时间"])
    assert re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d\d", old_row["订单创建时间"])
    phones = [order["联系手机"] for order in taobao_orders(exports) if order["联系手机"]]
    assert all(phone.startswith("'") and MOBILE.match(phone[1:]) for phone in phones)


def test_csv_encodings_and_headers_of_the_other_platforms(exports):
    douyin = only(exports, "抖店").read_bytes()
    kuaishou = only(exports, "快手").read_bytes()
    youzan = only(exports, "有赞").read_bytes()
    assert douyin.startswith(codecs.BOM_UTF8) and youzan.startswith(codecs.BOM_UTF8)
    assert not kuaishou.startswith(codecs.BOM_UTF8)
    assert read_csv(only(exports, "抖店"), "utf-8-sig")[0] == DOUYIN
    assert read_csv(only(exports, "快手"), "utf-8")[0] == KUAISHOU
    assert read_csv(only(exports, "有赞"), "utf-8-sig")[0] == YOUZAN  # 分销员 twice


def test_xiaohongshu_is_a_real_xlsx_one_row_per_sku_line(exports):
    sheet = openpyxl.load_workbook(only(exports, "小红书"), read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == XIAOHONGSHU
    numbers = [row[0] for row in rows]
    assert all(re.fullmatch(r"P\d{18}", number) for number in numbers)
    assert _adjacent(numbers)


def test_douyin_ids_carry_tabs_and_sub_orders_are_adjacent(exports):
    header, *rows = read_csv(only(exports, "抖店"), "utf-8-sig")
    main_ids = [row[0] for row in rows]
    assert all(main_id.startswith("\t") for main_id in main_ids)
    assert all(row[header.index("商品ID")].endswith("\t") for row in rows)
    assert _adjacent(main_ids)
    assert len(set(main_ids)) < len(rows)  # some orders hold several products
    sources = Counter(row[header.index("流量来源")] for row in rows)
    assert set(sources) == {"直播", "短视频", "商品卡", "搜索"}
    assert any(row[header.index("达人ID")] for row in rows)


def test_same_seed_gives_the_same_bytes(exports, tmp_path):
    again = generate_demo_exports(tmp_path, SMALL, until=UNTIL)
    assert [path.name for path in again] == list(exports)
    for path in again:
        assert path.read_bytes() == exports[path.name].read_bytes(), path.name


def test_order_total_matches_the_shape(exports):
    taobao = len(taobao_orders(exports))
    douyin = {row[0] for row in read_csv(only(exports, "抖店"), "utf-8-sig")[1:]}
    kuaishou = len(read_csv(only(exports, "快手"), "utf-8")) - 1
    youzan = len(read_csv(only(exports, "有赞"), "utf-8-sig")) - 1
    sheet = openpyxl.load_workbook(only(exports, "小红书"), read_only=True).active
    xhs = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    total = taobao + len(douyin) + kuaishou + youzan + len(xhs)
    assert total == SMALL.orders
    assert 0.38 < taobao / total < 0.52 and 0.18 < len(douyin) / total < 0.32


def test_most_fans_buy_once_and_a_loyal_core_buys_often():
    counts = order_counts(random.Random(3), 2_000, 12_000)
    assert sum(counts) == 12_000
    assert 0.50 < counts.count(1) / len(counts) < 0.60
    assert sum(1 for count in counts if count >= 10) / len(counts) >= 0.05
    assert max(counts) <= 40


def test_some_phones_buy_on_several_platforms_and_some_are_masked(exports):
    phones: dict[str, set[str]] = {}
    for order in taobao_orders(exports):
        phones.setdefault(order["联系手机"].lstrip("'"), set()).add("taobao")
    header, *rows = read_csv(only(exports, "抖店"), "utf-8-sig")
    douyin_phones = [row[header.index("收件人手机号")] for row in rows]
    for phone in douyin_phones:
        phones.setdefault(phone, set()).add("douyin")
    shared = [phone for phone, where in phones.items() if MOBILE.match(phone) and len(where) > 1]
    assert len(shared) >= 5
    masked = [phone for phone in douyin_phones if re.fullmatch(r"1\d\d\*{4}\d{4}", phone)]
    assert 0.15 < len(masked) / len(douyin_phones) < 0.45


def test_618_and_double_11_outsell_a_plain_month(exports):
    created = [order["订单创建时间"].replace("/", "-") for order in taobao_orders(exports)]
    months = Counter(moment[:7] for moment in created)
    assert months["2026-06"] > months["2026-08"] * 1.4
    assert months["2025-11"] > months["2025-09"] * 1.3
    double_11 = sum(1 for moment in created if moment.startswith("2025-11-11"))
    plain_day = sum(1 for moment in created if moment.startswith("2025-09-1"))  # ten days
    assert double_11 > plain_day / 10 * 4


def test_evenings_are_the_busiest_hours(exports):
    times = [order["订单创建时间"].split(" ")[1] for order in taobao_orders(exports)]
    hours = Counter(int(time.split(":")[0]) for time in times)
    evening = sum(hours[hour] for hour in range(19, 24))
    assert evening / len(times) > 0.4


def test_unpaid_orders_have_no_payment_time_and_amounts_add_up(exports):
    orders = taobao_orders(exports)
    unpaid = [order for order in orders if not order["订单付款时间 "]]
    assert 0.02 < len(unpaid) / len(orders) < 0.07
    assert all(order["订单状态"] in ("等待买家付款", "交易关闭") for order in unpaid)
    assert all(order["买家实际支付金额"] == "0.00" for order in unpaid)
    for order in orders:
        due = Decimal(order["买家应付货款"]) + Decimal(order["买家应付邮费"])
        assert due == Decimal(order["总金额"])


def test_about_six_percent_of_paid_orders_are_refunded(exports):
    orders = [order for order in taobao_orders(exports) if "退款金额" in order]
    paid = [order for order in orders if order["订单付款时间 "]]
    refunded = [order for order in paid if order["退款金额"] != "0.00"]
    assert 0.03 < len(refunded) / len(paid) < 0.09
    assert any(order["订单状态"] == "交易成功" for order in refunded)  # partial refunds
    assert any(order["订单状态"] == "交易关闭" for order in refunded)  # full refunds


def test_recent_orders_are_mostly_not_completed_yet(exports):
    header, *rows = read_csv(named(exports, "ExportOrderList")[-1], "gb18030")
    created, status = header.index("订单创建时间"), header.index("订单状态")
    last_days = [row[status] for row in rows if row[created] >= "2026-11-19"]
    assert last_days
    assert last_days.count("交易成功") < len(last_days) / 2


def test_benchmark_file_has_exactly_the_rows_asked_for(tmp_path):
    path = tmp_path / "ExportOrderList202611221030.csv"
    write_taobao_classic_csv(path, 2_500, seed=3, until=UNTIL)
    header, *rows = read_csv(path, "gb18030")
    assert header == TAOBAO_CLASSIC + TAOBAO_LATER
    assert len(rows) == 2_500
    assert len({row[0] for row in rows}) == 2_500
    assert all(len(row) == len(header) for row in rows)


def _adjacent(keys: list[str]) -> bool:
    """True when every key's rows form one unbroken run."""
    runs = [key for index, key in enumerate(keys) if index == 0 or keys[index - 1] != key]
    return len(runs) == len(set(runs))


def test_youzan_orders_carry_their_items_and_no_order_lies_after_the_export(
    tmp_path: Path,
) -> None:
    now = datetime(2025, 6, 18, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    paths = generate_demo_exports(tmp_path, SMALL, until=now.date(), now=now)
    rows = read_csv(only({p.name: p for p in paths}, "有赞"), "utf-8-sig")
    header, body = rows[0], rows[1:]
    title, created = header.index("全部商品名称"), header.index("订单创建时间")
    assert body and all(row[title] for row in body)
    assert max(row[created] for row in body) <= "2025-06-18 09:30:00"
